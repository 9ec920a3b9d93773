@miradore
Feature: What each role may see and do in the console
  Site administrators see the latest reset passcode on the device page;
  administrators and helpdesk users see the page without it; end users do
  not see the console at all. Helpdesk users may look, but only
  administrators act on a device.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @MIR-5
  Scenario: The device page shows each role what it may see
    Given Bob is an administrator
    And Hana is a helpdesk user
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then Alice sees the device page of "phone" with the latest reset passcode
    And Bob sees the device page of "phone" without the latest reset passcode
    And Hana sees the device page of "phone" without the latest reset passcode
    And Erin is refused the device page of "phone"

  @MIR-1
  Scenario: A helpdesk user may not reset or lock
    Given Hana is a helpdesk user
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Hana resets the passcode of "phone"
    Then the MDM refuses with FORBIDDEN
    When Hana locks "phone"
    Then the MDM refuses with FORBIDDEN
    And nothing has been sent to "phone"
    And the old passcode unlocks "phone"

  @MIR-5
  Scenario: The new passcode is not shown until the device has taken it
    Given a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 8-digit passcode
    And "phone" is offline
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as sent
    And the device page of "phone" shows no latest reset passcode yet
    When "phone" comes back online
    Then the action log shows the reset of "phone" as completed
    And Alice sees the device page of "phone" with the latest reset passcode
    And the new passcode unlocks "phone"
