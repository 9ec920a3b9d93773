@intune @needs-multi-device
Feature: Passcode reset and lock on several devices from the console
  An administrator picks several devices, or all devices of one user, and
  runs the same remote task on each.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @ICL-3 @ICL-1
  Scenario: Reset the passcodes of all of a user's devices
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And a "google-pixel-7" device "tablet" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcodes of all devices of Erin
    Then the action log shows the reset of "phone" as completed
    And the action log shows the reset of "tablet" as completed
    And the new passcode of "phone" is made of letters and digits
    And the new passcode unlocks "phone"
    And the new passcode unlocks "tablet"

  @ICL-3 @ICL-2
  Scenario: Lock all of a user's devices
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And a "google-pixel-5" device "tablet" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice locks all devices of Erin
    Then "phone" is locked
    And "tablet" is locked

  @ICL-3 @ICL-1
  Scenario: Reset the passcodes of devices picked from a list, and only those
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And a "google-pixel-7" device "tablet" enrolled fully-managed for Erin with a 6-digit passcode
    And a "google-pixel-9" device "spare" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcodes of "phone" and "tablet"
    Then the action log shows the reset of "phone" as completed
    And the action log shows the reset of "tablet" as completed
    And nothing has been sent to "spare"
    And the new passcode unlocks "phone"
    And the new passcode unlocks "tablet"
    And the old passcode unlocks "spare"
