@miradore @god-mode
Feature: The device holds passcodes to the policy the MDM sent
  The MDM puts a passcode policy in the device's AMAPI policy at enrollment;
  the device, not only the MDM, must enforce it: Settings refuses a passcode
  below it, and a passcode set before the policy counts as not sufficient
  until the user replaces it. The device's rule is its own, written apart
  from the MDM's.

  Background:
    Given Alice is a site administrator
    And Erin is an end user
    And the device passcode policy requires numeric passcodes of at least 8 characters

  @PLAT-5 @matrix-fully-managed
  Scenario Outline: Settings on <profile> refuses a passcode shorter than the policy the MDM sent
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 8-digit passcode
    Then Settings on "phone" refuses a new 6-digit passcode
    And the passcode of "phone" is sufficient for the device user policy
    And the old passcode unlocks "phone"

    Examples:
      | profile            |
      | motorola-nexus-6   |
      | lge-nexus-5x       |
      | google-pixel-c     |
      | samsung-galaxy-s7  |
      | google-pixel       |
      | google-pixel-3     |
      | google-pixel-4     |
      | nokia-7-plus       |
      | google-pixel-5     |
      | samsung-galaxy-s22 |
      | google-pixel-7     |
      | google-pixel-8     |
      | google-pixel-9     |

  @PLAT-5 @matrix-fully-managed
  Scenario Outline: A passcode set before the policy counts as not sufficient on <profile> until it is replaced
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    Then the passcode of "phone" is not sufficient for the device user policy
    When the user of "phone" sets a new 8-digit passcode in Settings
    Then the passcode of "phone" is sufficient for the device user policy

    Examples:
      | profile            |
      | motorola-nexus-6   |
      | lge-nexus-5x       |
      | google-pixel-c     |
      | samsung-galaxy-s7  |
      | google-pixel       |
      | google-pixel-3     |
      | google-pixel-4     |
      | nokia-7-plus       |
      | google-pixel-5     |
      | samsung-galaxy-s22 |
      | google-pixel-7     |
      | google-pixel-8     |
      | google-pixel-9     |
