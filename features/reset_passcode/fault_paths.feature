@miradore
Feature: Every fault path of the reset pipeline ends where it should
  Google's API fails in more ways than "too many requests": a server error
  before anything was done, a command carried out whose answer never came
  back, a refusal, an outage lasting until the command would expire, long
  streaks of 429, and notifications lost while the operation cannot be read
  either. Whatever happens, a command reaches the device at most once, the
  action log ends in the status that is true, and the passcode is mailed only
  when the reset was done. Each count is taken once the system is quiet.

  Background:
    Given Alice is a site administrator
    And Erin is an end user
    And a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 8-digit passcode

  @MIR-6
  Scenario: A server error before the command was taken is retried
    Given AMAPI answers the next command with 503
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And the new passcode unlocks "phone"

  @MIR-6
  Scenario: A command carried out whose answer was lost is not sent again
    Given AMAPI carries out the next command but loses its answer
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And Alice receives the new passcode of "phone" by mail
    And the new passcode unlocks "phone"

  @MIR-6
  Scenario: A command AMAPI refuses with 400 fails at once and is not retried
    Given AMAPI answers the next command with 400
    When Alice resets the passcode of "phone"
    Then the reset of "phone" fails with reason code COMMAND_REFUSED
    And nothing has been sent to "phone"
    And Alice receives no mail
    And the old passcode unlocks "phone"

  @MIR-6 @virtual-time
  Scenario: A reset AMAPI never accepts fails once its command would have expired, not before
    Given AMAPI answers every command with 503
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as pending
    When 10 minutes pass
    And AMAPI has turned away 7 more commands for "phone"
    Then the action log shows the reset of "phone" as pending
    When 1 minute passes
    Then the reset of "phone" fails with reason code NEVER_ACCEPTED
    And nothing has been sent to "phone"
    And Alice receives no mail
    And the old passcode unlocks "phone"

  @MIR-6 @virtual-time
  Scenario: An outage until the command expires leaves the action waiting, not failed
    Given AMAPI loses the next COMMAND notification
    And AMAPI is out of service from the next command until that command expires
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as sent
    When AMAPI has refused 10 requests about "phone" during the outage
    Then the action log shows the reset of "phone" as sent
    When 11 minutes pass
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And Alice receives the new passcode of "phone" by mail
    And the new passcode unlocks "phone"

  @MIR-6
  Scenario: A streak of 429 longer than one round of retries still ends in one reset
    Given AMAPI answers the next 7 commands with 429
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And the new passcode unlocks "phone"

  @MIR-6
  Scenario: A lost notification while the operation cannot be read either
    Given AMAPI loses the next COMMAND notification
    And AMAPI answers the next 8 reads of an operation with 503
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And Alice receives the new passcode of "phone" by mail
