@miradore
Feature: Remote lock
  A device owner's lock locks the whole device; on a work profile with its
  own passcode only the work profile locks. A lock needs a passcode to mean
  anything: without one the screen only goes dark.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @PLAT-7 @MIR-10 @firmware
  Scenario Outline: Locking a fully managed <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice locks "phone"
    Then the action log shows the lock of "phone" as completed
    And "phone" is locked
    And the old passcode unlocks "phone"

    Examples:
      | profile          |
      | motorola-nexus-6 |
      | google-pixel-3   |
      | google-pixel-7   |
      | google-pixel-9   |

  @PLAT-7 @MIR-10
  Scenario: Without a passcode the lock only turns the screen off
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin
    When Alice locks "phone"
    Then the action log shows the lock of "phone" as completed
    And "phone" is not locked

  @PLAT-7 @PLAT-4 @iru
  Scenario: A work profile with its own passcode locks alone
    Given a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    And Ivan is a site administrator
    And Ivan resets the work profile passcode of "phone" with a new passcode of 8 letters and digits
    And the action log shows the reset of "phone" as completed
    When Ivan locks "phone"
    Then the work profile of "phone" is locked
    And "phone" is not locked

  @PLAT-7 @iru
  Scenario: On a company-owned work profile on Android 10 the whole device locks
    Given a "google-pixel-4" device "phone" enrolled work-profile-company-owned for Erin with a 6-digit passcode
    And Ivan is a site administrator
    And Ivan resets the work profile passcode of "phone" with a new passcode of 8 letters and digits
    And the action log shows the reset of "phone" as completed
    When Ivan locks "phone"
    Then "phone" is locked
    And the work profile of "phone" is locked

  @MIR-6
  Scenario: A lock sent to an offline device arrives when it is back
    Given a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And "phone" is offline
    When Alice locks "phone"
    Then the action log shows the lock of "phone" as sent
    And "phone" is not locked
    When "phone" comes back online
    Then the action log shows the lock of "phone" as completed
    And "phone" is locked
