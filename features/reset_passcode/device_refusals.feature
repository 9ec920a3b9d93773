@intune @HAR-5
Feature: Where the device refuses the reset, the action log says why
  Intune's console refuses a legacy device administrator only from Android
  8.0, so before that the command goes out. From Android 7.0 the device
  itself refuses it, with AMAPI's errorCode MANAGEMENT_MODE, and the action
  log must say that the way the device is managed is the reason; before
  Android 7.0 any device admin may still reset the passcode.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @PLAT-1 @ICL-1
  Scenario Outline: A legacy device admin <profile> on Android 7 refuses the reset, for its management mode
    Given a "<profile>" device "phone" enrolled legacy-device-admin for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then the reset of "phone" fails with reason code MANAGEMENT_MODE
    And the MDM sent exactly one passcode reset to "phone"
    And the old passcode unlocks "phone"

    Examples:
      | profile           |
      | google-pixel-c    |
      | samsung-galaxy-s7 |

  @PLAT-1 @ICL-1
  Scenario Outline: A legacy device admin <profile> before Android 7 still takes the reset
    Given a "<profile>" device "phone" enrolled legacy-device-admin for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the new passcode of "phone" is made of letters and digits
    And the new passcode unlocks "phone"

    Examples:
      | profile          |
      | motorola-nexus-6 |
      | lge-nexus-5x     |
