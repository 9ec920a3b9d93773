@intune @needs-portal
Feature: Self-service passcode reset in the company portal
  A user who forgot the passcode of their own Android device resets it from
  the company portal. They must sign out and in again and finish within five
  minutes of that sign-in. The device gets a temporary passcode of letters
  and digits, shown in the portal's device details.

  Background:
    Given Erin is an end user

  @INT-1 @INT-4 @INT-5
  Scenario Outline: Reset from the portal on a fully managed <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Erin signs out and signs in again
    And Erin asks the portal to reset the passcode of "phone"
    Then the portal warns that the current passcode will be removed
    When Erin confirms the passcode reset of "phone" in the portal
    Then the action log shows the reset of "phone" as completed
    And the portal shows a temporary passcode for "phone" made of letters and digits
    And the new passcode unlocks "phone"

    Examples:
      | profile        |
      | google-pixel   |
      | google-pixel-5 |
      | google-pixel-8 |

  @INT-3 @virtual-time
  Scenario: The reset must come within five minutes of signing in again
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Erin signs out and signs in again
    And 6 minutes pass
    And Erin confirms the passcode reset of "phone" in the portal
    Then the portal asks Erin to sign in again
    And nothing has been sent to "phone"
    When Erin signs out and signs in again
    And 4 minutes pass
    And Erin confirms the passcode reset of "phone" in the portal
    Then the action log shows the reset of "phone" as completed

  @INT-3 @virtual-time
  Scenario: A session from before the request is not enough
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And Erin signed in 10 minutes ago
    When Erin confirms the passcode reset of "phone" in the portal
    Then the portal asks Erin to sign in again
    And nothing has been sent to "phone"

  @INT-6 @virtual-time
  Scenario: The portal confirms once the user has set a new passcode
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Erin signs out and signs in again
    And Erin confirms the passcode reset of "phone" in the portal
    And the new passcode unlocks "phone"
    And 2 minutes pass
    And the user of "phone" sets a new 6-digit passcode in Settings
    Then Erin gets a portal notification that the passcode of "phone" was changed

  @INT-2 @HAR-5
  Scenario Outline: The portal does not offer the reset on a <ownership> <profile>
    Given a "<profile>" device "phone" enrolled <ownership> for Erin with a 6-digit passcode
    When Erin signs out and signs in again
    Then the reset passcode option is not offered for "phone"
    When Erin confirms the passcode reset of "phone" in the portal
    Then the MDM refuses because the device is not supported
    And nothing has been sent to "phone"

    Examples:
      | profile        | ownership             |
      | google-pixel   | work-profile-personal |
      | google-pixel-8 | work-profile-personal |
      | google-pixel-4 | dedicated             |
      | google-pixel-9 | dedicated             |
      | google-pixel-3 | legacy-device-admin   |

  @INT-1 @INT-6
  Scenario: The portal tells the user when the reset did not succeed
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And AMAPI answers the next command with 400
    When Erin signs out and signs in again
    And Erin confirms the passcode reset of "phone" in the portal
    Then the action log shows the reset of "phone" as failed
    And Erin gets a portal notification that the passcode reset of "phone" failed
    And the old passcode unlocks "phone"

  @INT-1
  Scenario: The portal shows the user's own latest reset, not an administrator's
    Given Alice is a site administrator
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Erin signs out and signs in again
    And Erin confirms the passcode reset of "phone" in the portal
    Then the action log shows the reset of "phone" as completed
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the portal shows Erin's own reset of "phone" as its latest, not the administrator's
