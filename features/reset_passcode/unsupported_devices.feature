@miradore @HAR-5
Feature: Devices on which the passcode cannot be reset
  Android 7.0 took the reset of an existing passcode away from legacy device
  administrators. The MDM must say so rather than fail silently, and where
  the platform refuses, the action log must show why.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @MIR-8 @PLAT-1
  Scenario Outline: A legacy device admin on <profile> with a passcode
    Given a "<profile>" device "phone" enrolled legacy-device-admin for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then the MDM refuses because the device is not supported
    And nothing has been sent to "phone"
    And the old passcode unlocks "phone"

    Examples:
      | profile          |
      | google-pixel-c   |
      | google-pixel-4   |
      | google-pixel-8   |

  @PLAT-1
  Scenario: Before Android 7.0 a legacy device admin may still reset
    Given a "lge-nexus-5x" device "phone" enrolled legacy-device-admin for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the new passcode unlocks "phone"
