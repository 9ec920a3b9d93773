@firmware @HAR-5
Feature: The lock screen takes a new passcode of a new length
  With PIN auto-confirm (Android 14 and later) the lock screen submits as
  soon as it has as many digits as the PIN it knows. Conforming firmware
  learns the new length at once; some firmware keeps the old length until
  the device restarts, so the new 8-digit passcode cannot be typed.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @PLAT-6 @MIR-9 @miradore
  Scenario Outline: Reset from <old> to 8 digits on <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a <old>-digit passcode
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the new passcode unlocks "phone"

    Examples:
      | profile        | old |
      | google-pixel-8 | 6   |
      | google-pixel-8 | 10  |
      | google-pixel-9 | 6   |
      | google-pixel-7 | 6   |

  @PLAT-6 @MIR-9 @miradore
  Scenario: A restart makes the lock screen expect the new length
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    And "phone" restarts
    Then the new passcode unlocks "phone"

  # Every profile with PIN auto-confirm (Android 14 and later); a test checks
  # the rows against fixtures/devices.
  @PLAT-6 @MIR-9 @miradore
  Scenario Outline: The lock screen of <profile> auto-confirms a new 8-digit passcode after a <old>-digit one
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a <old>-digit passcode
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the lock screen of "phone" waits for the last digit of the new passcode, with no OK key
    And the new passcode unlocks "phone"

    Examples:
      | profile        | old |
      | google-pixel-8 | 6   |
      | google-pixel-8 | 10  |
      | google-pixel-9 | 6   |
      | google-pixel-9 | 10  |
