@firmware @god-mode
Feature: The device answers what Android's own conformance tests ask
  CTS and TestDPC ask a device directly: is its passcode sufficient, how
  complex is it, is the reset token active, is a user's storage unlocked,
  what did the security log and the stats events record. These scenarios ask
  the simulated device the same questions and talk to it through the Android
  Management API as any MDM would.

  Background:
    Given Erin is an end user

  @PLAT-2
  Scenario: A reset token set while a passcode exists becomes active at the first unlock on google-pixel-5
    Given a "google-pixel-5" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode, not unlocked since
    Then the reset token of "phone" is pending
    When the user of "phone" enters the old passcode
    Then the reset token of "phone" is active

  @PLAT-2
  Scenario: An active reset token outlives the passcode removed in Settings on google-pixel-5
    Given a "google-pixel-5" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When the user of "phone" removes the passcode in Settings
    Then the reset token of "phone" is active
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits
    Then the AMAPI command succeeds
    And the new passcode unlocks "phone"

  @PLAT-2 @PLAT-8
  Scenario: A token reset with LOCK_NOW on samsung-galaxy-s22 changes the passcode and is recorded
    Given a "samsung-galaxy-s22" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits with flags LOCK_NOW
    Then the AMAPI command succeeds
    And the stats events of "phone" record RESET_PASSWORD_WITH_TOKEN
    And the stats events of "phone" record LOCK_NOW
    And the screen of "phone" is off
    And the old passcode no longer unlocks "phone"

  @PLAT-2
  Scenario: Clearing the passcode through AMAPI on samsung-galaxy-s22
    Given a "samsung-galaxy-s22" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client clears the passcode of "phone"
    Then the AMAPI command succeeds
    When the user of "phone" presses the power key
    Then "phone" is not locked

  @PLAT-2
  Scenario: Renewing the reset token does not wear out the lock screen on google-pixel-9
    Given a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When the agent on "phone" renews its reset token 8 times, with an unlock after each
    Then the old passcode unlocks "phone"
    And the reset token of "phone" is active

  @PLAT-5
  Scenario: The device holds its passcode to a policy set after enrollment on google-pixel-7
    Given a "google-pixel-7" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    Then the passcode of "phone" is sufficient for the device user policy
    When the agent on "phone" requires numeric passcodes of at least 8 characters for the device user
    Then the passcode of "phone" is not sufficient for the device user policy
    And the device user passcode complexity of "phone" is medium

  @PLAT-5
  Scenario: Android 11+ refuses a minimum length the quality does not use on google-pixel-7
    Given a "google-pixel-7" device "phone" enrolled fully-managed for Erin
    Then the agent on "phone" is refused requiring something passcodes of at least 8 characters for the device user

  @PLAT-5
  Scenario Outline: A device policy of <policy> refuses a new passcode of <shape> on google-pixel-7
    Given the device passcode policy requires <policy>
    And a "google-pixel-7" device "phone" enrolled fully-managed for Erin
    When an AMAPI client resets the passcode of "phone" to a new passcode of <shape>
    Then the AMAPI command fails with INVALID_VALUE

    Examples:
      | policy                                              | shape                      |
      | numeric-complex passcodes of at least 4 characters  | 6 repeated digits          |
      | complexity-high passcodes                           | 6 digits                   |
      | alphabetic passcodes of at least 6 characters       | 8 digits                   |

  @PLAT-5
  Scenario: A complex policy names the classes a new passcode needs on google-pixel-7
    Given the device passcode policy requires complex passcodes of at least 6 characters
    And the passcode policy also requires at least 1 upper-case letter
    And the passcode policy also requires at least 1 symbol
    And a "google-pixel-7" device "phone" enrolled fully-managed for Erin
    When an AMAPI client resets the passcode of "phone" to a new passcode of 6 characters with a symbol
    Then the AMAPI command fails with INVALID_VALUE

  @PLAT-2 @PLAT-5
  Scenario Outline: A device policy of <policy> takes a new passcode of <shape> on samsung-galaxy-s22
    Given the device passcode policy requires <policy>
    And a "samsung-galaxy-s22" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of <shape>
    Then the AMAPI command succeeds
    And the new passcode unlocks "phone"

    Examples:
      | policy                                             | shape                                               |
      | numeric-complex passcodes of at least 4 characters | 6 digits                                            |
      | complexity-high passcodes                          | 8 digits                                            |
      | complex passcodes of at least 6 characters         | 6 characters with a symbol and an upper-case letter |

  @PLAT-3
  Scenario: Before the first unlock google-pixel-4 will not say whether its passcode is sufficient
    Given a "google-pixel-4" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When "phone" restarts
    Then the device user of "phone" is RUNNING_LOCKED
    And asking whether the passcode of "phone" is sufficient fails while the device user is locked
    When the user of "phone" enters the old passcode
    Then the device user of "phone" is RUNNING_UNLOCKED
    And the passcode of "phone" is sufficient for the device user policy
    And the device user passcode complexity of "phone" is medium

  @PLAT-7
  Scenario Outline: Locking a <ownership> google-pixel-9 evicts the work profile key
    Given a "google-pixel-9" device "phone" enrolled <ownership> for Erin with a 6-digit passcode
    When the agent on "phone" locks the work profile and evicts its key
    Then the work profile of "phone" is RUNNING_LOCKED
    And "phone" is locked
    When the user of "phone" enters the old passcode
    Then the work profile of "phone" is RUNNING_UNLOCKED

    Examples:
      | ownership                  |
      | work-profile-personal      |
      | work-profile-company-owned |

  @PLAT-6
  Scenario: Wrong passcodes are counted and the new one still unlocks google-pixel-8
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits with flags LOCK_NOW
    And the user of "phone" enters a wrong passcode 2 times
    Then "phone" counts 2 failed attempts
    And the new passcode unlocks "phone"
    And "phone" counts 0 failed attempts

  @PLAT-6 @virtual-time
  Scenario: Five wrong passcodes lock google-pixel-8 out for 30 seconds, against the right one too
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When an AMAPI client resets the passcode of "phone" to a new passcode of 8 digits with flags LOCK_NOW
    And the user of "phone" enters a wrong passcode 5 times
    Then "phone" counts 5 failed attempts
    And the new passcode does not unlock "phone" while it is locked out
    When 1 minute passes
    Then the new passcode unlocks "phone"
    And "phone" counts 0 failed attempts
