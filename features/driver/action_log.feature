@miradore
Feature: The action log: cancelling and filtering
  An action that has not reached its device yet can be cancelled, and then
  never reaches it. The action log and the device list answer exactly what
  their filters ask for, so that nobody has to read a whole inventory.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @MIR-6
  Scenario: A reset cancelled before the device takes it never reaches it
    Given a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 8-digit passcode
    And "phone" is offline
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as sent
    When Alice cancels the reset of "phone"
    Then the reset of "phone" is cancelled with reason code OPERATION_CANCELLED
    When "phone" comes back online
    Then the old passcode unlocks "phone"

  @MIR-6
  Scenario: The action log and the device list filter as asked
    Given Frank is an end user
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And a "google-pixel-7" device "tablet" enrolled fully-managed for Frank with a 6-digit passcode
    And "tablet" is offline
    When Alice resets the passcode of "phone"
    And Alice locks "tablet"
    Then the action log shows the reset of "phone" as completed
    And the action log shows the lock of "tablet" as sent
    And the action log filtered by device "phone" lists only its reset
    And the action log filtered by status completed lists the reset of "phone" but not the lock of "tablet"
    And the action log filtered by status sent lists the lock of "tablet" but not the reset of "phone"
    And the MDM lists only "phone" among the devices of Erin
    And the MDM lists only "tablet" among the devices of Frank
