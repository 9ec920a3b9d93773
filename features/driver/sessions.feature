@intune
Feature: Sessions end when they should
  The portal's protection against someone else's session (sign out, sign in
  again, act within five minutes) holds only if a session that was signed
  out of, or that has outlived its lifetime, is refused.

  Background:
    Given Erin is an end user

  @INT-3
  Scenario: Signing out ends the session
    When Erin signs in
    Then the MDM accepts Erin's session
    When Erin signs out
    Then the MDM refuses the session Erin signed out of
    And the MDM accepts Erin's session

  @INT-3 @virtual-time @needs-session-expiry
  Scenario: A session ends when it outlives the MDM's session lifetime
    When Erin signs in
    Then the MDM accepts Erin's session
    When Erin's session outlives the MDM's session lifetime
    Then the MDM refuses Erin's expired session
    And the MDM accepts Erin's session
