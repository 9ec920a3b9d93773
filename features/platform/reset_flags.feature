@firmware @god-mode
Feature: The device honours the reset flags and limits of the platform
  These scenarios talk to the device through the Android Management API
  directly, as any MDM would, to check the firmware rather than an MDM.

  Background:
    Given Erin is an end user

  @PLAT-8
  Scenario Outline: LOCK_NOW locks right after the reset on <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits with flags LOCK_NOW
    Then the AMAPI command succeeds
    And "phone" is locked
    And the new passcode unlocks "phone"

    Examples:
      | profile        |
      | lge-nexus-5x   |
      | google-pixel-4 |
      | google-pixel-9 |

  @PLAT-8
  Scenario: REQUIRE_ENTRY keeps other admins out until the user enters the passcode
    Given a "motorola-nexus-6" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits with flags REQUIRE_ENTRY
    Then the AMAPI command succeeds
    And "phone" is locked
    And another device admin app is refused a passcode change on "phone"
    When the user of "phone" enters the new passcode
    Then another device admin app may change the passcode of "phone"

  @PLAT-8 @PLAT-3
  Scenario: DO_NOT_ASK_CREDENTIALS_ON_BOOT lets a full-disk device boot without its passcode
    Given a "nokia-7-plus" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits with flags DO_NOT_ASK_CREDENTIALS_ON_BOOT
    And "phone" restarts
    Then "phone" has booted without asking for a passcode
    And "phone" is locked

  @PLAT-5
  Scenario Outline: Passcode length limits on <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of <new>
    Then the AMAPI command <result>

    Examples:
      | profile        | new                  | result                  |
      | google-pixel-7 | 3 digits             | fails with INVALID_VALUE |
      | google-pixel-7 | 5 digits             | succeeds                |
      | google-pixel-8 | 5 digits             | fails with INVALID_VALUE |
      | google-pixel-8 | 6 digits             | succeeds                |
      | google-pixel-9 | 5 digits             | fails with INVALID_VALUE |
      | google-pixel-9 | 5 letters and digits | succeeds                |

  @PLAT-2
  Scenario: A reset token set while a passcode exists waits for the next unlock
    Given a "google-pixel-7" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode, not unlocked since
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 letters and digits
    Then the AMAPI command fails with UNKNOWN
    When the user of "phone" enters the old passcode
    And an AMAPI client resets the passcode of "phone" to a new passcode of 8 letters and digits
    Then the AMAPI command succeeds

  @PLAT-2
  Scenario: A reset token that is not yet active is lost when the device restarts
    Given a "google-pixel-7" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode, not unlocked since
    When "phone" restarts
    And the user of "phone" enters the old passcode
    And an AMAPI client resets the passcode of "phone" to a new passcode of 8 letters and digits
    Then the AMAPI command fails with UNKNOWN

  @PLAT-4
  Scenario: Only the work challenge is reset on a work-profile device
    Given a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 letters and digits with flags LOCK_NOW
    Then the AMAPI command succeeds
    And the old passcode unlocks "phone"
    And the new passcode unlocks the work profile of "phone"

  @PLAT-1
  Scenario Outline: Legacy device admin on <profile> through the API
    Given a "<profile>" device "phone" enrolled legacy-device-admin for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits
    Then the AMAPI command <result>

    Examples:
      | profile          | result                     |
      | motorola-nexus-6 | succeeds                   |
      | google-pixel-c   | fails with MANAGEMENT_MODE |
      | google-pixel-9   | fails with MANAGEMENT_MODE |
