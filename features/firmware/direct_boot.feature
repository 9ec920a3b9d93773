@firmware @HAR-5
Feature: Passcode reset before the first unlock after a restart (Direct Boot)
  After a restart and before the user unlocks, a device with file-based
  encryption runs the management agent, so a reset works from Android 8.0 and
  leaves the device locked with the new passcode. A device with full-disk
  encryption runs nothing until its boot password is entered, so the reset
  waits.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @PLAT-3 @MIR-8 @miradore
  Scenario Outline: Reset in Direct Boot on <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And "phone" restarts
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And "phone" is still before its first unlock
    And the old passcode no longer unlocks "phone"
    And the new passcode unlocks "phone"

    Examples:
      | profile            |
      | google-pixel       |
      | google-pixel-3     |
      | google-pixel-4     |
      | google-pixel-5     |
      | samsung-galaxy-s22 |
      | google-pixel-7     |
      | google-pixel-8     |
      | google-pixel-9     |

  @PLAT-3 @miradore
  Scenario Outline: Full-disk encryption holds the reset until the boot password on <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And "phone" restarts
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as sent
    When the user of "phone" enters the old passcode
    Then the action log shows the reset of "phone" as completed
    And the new passcode unlocks "phone"

    Examples:
      | profile           |
      | samsung-galaxy-s7 |
      | nokia-7-plus      |

  @PLAT-3 @miradore
  Scenario: Android 7.0 cannot reset before the first unlock
    Given a "google-pixel-c" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And "phone" restarts
    When Alice resets the passcode of "phone"
    Then the reset of "phone" fails with reason code UNSUPPORTED
    And the old passcode unlocks "phone"
