@miradore
Feature: The passcode reset survives a flaky Android Management API
  Google's API sometimes answers "too many requests" or loses a
  notification. A reset must still reach the device exactly once, and the
  action log must still learn how it ended.

  Background:
    Given Alice is a site administrator
    And Erin is an end user
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode

  @MIR-6
  Scenario: A reset answered "too many requests" is retried and reaches the device once
    Given AMAPI answers the next command with 429
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And the new passcode unlocks "phone"

  @MIR-6
  Scenario: A reset whose notification is lost still shows as completed
    Given AMAPI loses the next COMMAND notification
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
