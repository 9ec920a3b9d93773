@firmware @device @HAR-5
Feature: Device-side firmware checks
  These checks need a device and nothing else: no MDM, no management API.
  They run on a simulated device in the embedded suite, and on a phone, an
  emulator or a simulated device over adb with
  `lockstep run --device adb:SERIAL` or `lockstep certify`.

  @PLAT-6 @MIR-9
  Scenario: The lock screen takes a new 8-digit PIN set in Settings on google-pixel-8
    Given the device under test "phone" runs "google-pixel-8" with a 6-digit passcode
    When the user of "phone" changes the passcode to a new 8-digit PIN in Settings
    And the user of "phone" presses the power key
    Then "phone" is locked
    And the new passcode unlocks "phone"

  @PLAT-6 @MIR-9
  Scenario: After a restart the lock screen takes the new PIN length on google-pixel-8
    Given the device under test "phone" runs "google-pixel-8" with a 6-digit passcode
    When the user of "phone" changes the passcode to a new 8-digit PIN in Settings
    And "phone" restarts
    Then the new passcode unlocks "phone"

  @PLAT-3
  Scenario: The user's storage stays locked until the first unlock after a restart on google-pixel-8
    Given the device under test "phone" runs "google-pixel-8" with a 6-digit passcode
    When "phone" restarts
    Then "phone" is locked
    And "phone" is still before its first unlock
    When the user of "phone" unlocks it with the passcode
    Then the credential-encrypted storage of "phone" is available

  @PLAT-7
  Scenario: Locking with the power key asks for the passcode on google-pixel-8
    Given the device under test "phone" runs "google-pixel-8" with a 6-digit passcode
    When the user of "phone" presses the power key
    Then "phone" is locked
    And a wrong passcode does not unlock "phone"
    When the user of "phone" unlocks it with the passcode
    Then "phone" is not locked
