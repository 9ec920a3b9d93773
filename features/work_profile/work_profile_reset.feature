@iru @needs-work-profile-only
Feature: Reset the work profile passcode
  An administrator resets the passcode of the work profile on an Android
  device, optionally setting a new one. Only the work profile changes: the
  person's own device passcode stays as it was, and the user keeps their
  work apps without enrolling again.

  Background:
    Given Ivan is a site administrator
    And Erin is an end user

  @IRU-1 @IRU-5 @PLAT-4
  Scenario Outline: New work passcode on a <ownership> <profile>
    Given a "<profile>" device "phone" enrolled <ownership> for Erin with a 6-digit passcode
    When Ivan resets the work profile passcode of "phone" with a new passcode of 8 letters and digits and locks the work profile immediately
    Then the action log shows the reset of "phone" as completed
    And the work profile of "phone" is locked
    And the old passcode unlocks "phone"
    And the new passcode unlocks the work profile of "phone"

    Examples:
      | profile            | ownership                  |
      | google-pixel       | work-profile-personal      |
      | google-pixel-5     | work-profile-personal      |
      | google-pixel-9     | work-profile-personal      |
      | google-pixel-4     | work-profile-company-owned |
      | samsung-galaxy-s22 | work-profile-company-owned |

  @IRU-2 @PLAT-5
  Scenario Outline: Without a policy the new passcode need only meet Android's minimum on <profile>
    Given a "<profile>" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan types a new passcode of <new> in the reset dialog for "phone"
    Then the Reset passcode button is <button>

    Examples:
      | profile        | new     | button   |
      | google-pixel-7 | 4-digit | enabled  |
      | google-pixel-7 | 3-digit | disabled |
      | google-pixel-8 | 5-digit | disabled |
      | google-pixel-8 | 6-digit | enabled  |
      | google-pixel-8 | 4 letters and digits | enabled |

  @IRU-2
  Scenario: Without a policy the new passcode is optional
    Given a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan resets the work profile passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the old passcode unlocks "phone"

  @IRU-3
  Scenario: With a policy each requirement shows whether it is met
    Given the work profile passcode policy requires alphanumeric passcodes of at least 8 characters
    And a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan types a new passcode of 10 digits in the reset dialog for "phone"
    Then the dialog lists these requirements:
      | requirement                   | met |
      | at least 8 characters         | yes |
      | contains a letter and a digit | no  |
    And the Reset passcode button is disabled
    When Ivan types a new passcode of 10 letters and digits in the reset dialog for "phone"
    Then the Reset passcode button is enabled

  @IRU-3
  Scenario: With a policy a new passcode is required
    Given the work profile passcode policy requires numeric passcodes of at least 6 characters
    And a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan resets the work profile passcode of "phone"
    Then the MDM refuses with POLICY_NOT_MET
    And nothing has been sent to "phone"

  @IRU-4
  Scenario: Without "lock immediately" the new passcode is needed at the next unlock
    Given a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan resets the work profile passcode of "phone" with a new passcode of 8 letters and digits
    Then the action log shows the reset of "phone" as completed
    And the work profile of "phone" is not locked
    When the user of "phone" presses the power key
    Then the work profile of "phone" is locked
    And the old passcode unlocks "phone"
    And the new passcode unlocks the work profile of "phone"
