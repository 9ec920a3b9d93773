@miradore
Feature: Remote passcode reset from the administrator console
  An administrator resets the passcode of a managed Android device. The MDM
  makes up an 8-digit passcode, mails it, shows it on the device page, locks
  the device, and records the action in the action log.

  Background:
    Given Alice is a site administrator
    And Erin is an end user

  @MIR-1 @MIR-3 @MIR-7 @PLAT-2 @matrix-fully-managed
  Scenario Outline: Reset on a fully managed <profile>
    Given a "<profile>" device "phone" enrolled fully-managed for Erin with a <old>-digit passcode
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as completed
    And the new passcode of "phone" has 8 digits
    And "phone" is locked
    And the old passcode no longer unlocks "phone"
    And the new passcode unlocks "phone"

    Examples:
      | profile            | old |
      | motorola-nexus-6   | 4   |
      | lge-nexus-5x       | 6   |
      | google-pixel-c     | 4   |
      | samsung-galaxy-s7  | 6   |
      | google-pixel       | 6   |
      | google-pixel-3     | 6   |
      | google-pixel-4     | 8   |
      | nokia-7-plus       | 6   |
      | google-pixel-5     | 6   |
      | samsung-galaxy-s22 | 6   |
      | google-pixel-7     | 6   |
      | google-pixel-8     | 8   |
      | google-pixel-9     | 8   |

  @MIR-2
  Scenario: The wizard shows the device and its user before the reset
    Given a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice opens the reset passcode wizard for "phone"
    Then the wizard shows "phone" and its user Erin
    And nothing has been sent to "phone"

  @MIR-4
  Scenario: The passcode goes to the administrator only
    Given a "google-pixel-7" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then Alice receives the new passcode of "phone" by mail
    And Erin receives no mail

  @MIR-4
  Scenario: The passcode goes to the device user too when asked
    Given a "google-pixel-7" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone" and sends it to the device user
    Then Alice receives the new passcode of "phone" by mail
    And Erin receives the new passcode of "phone" by mail

  @MIR-5
  Scenario: Only site administrators see the latest reset passcode
    Given Bob is an administrator
    And Hana is a helpdesk user
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    When Alice resets the passcode of "phone"
    Then Alice sees the latest reset passcode on the device page of "phone"
    And Bob is refused the latest reset passcode of "phone"
    And Hana is refused the latest reset passcode of "phone"

  @MIR-6
  Scenario: The action log follows the reset, globally and per device
    Given a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 8-digit passcode
    And "phone" is offline
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as sent
    When "phone" comes back online
    Then the action log shows the reset of "phone" as completed
    And the MDM sent exactly one passcode reset to "phone"

  @MIR-6 @virtual-time
  Scenario: A reset that never reaches the device expires
    Given a "google-pixel-9" device "phone" enrolled fully-managed for Erin with a 8-digit passcode
    And "phone" is offline
    When Alice resets the passcode of "phone"
    Then the action log shows the reset of "phone" as sent
    When 11 minutes pass
    Then the action log shows the reset of "phone" as expired
    When "phone" comes back online
    Then "phone" is not locked
    And the old passcode unlocks "phone"

  @MIR-7 @MIR-10 @PLAT-7
  Scenario: A dedicated device is locked after the reset too
    Given a "samsung-galaxy-s22" device "kiosk" enrolled dedicated for Erin with a 6-digit passcode
    When Alice resets the passcode of "kiosk"
    Then the action log shows the reset of "kiosk" as completed
    And "kiosk" is locked
    And the new passcode unlocks "kiosk"

  @MIR-7 @MIR-10 @PLAT-7 @matrix-dedicated
  Scenario Outline: Reset on a dedicated <profile>
    Given a "<profile>" device "kiosk" enrolled dedicated for Erin with a 6-digit passcode
    When Alice resets the passcode of "kiosk"
    Then the action log shows the reset of "kiosk" as completed
    And the new passcode of "kiosk" has 8 digits
    And "kiosk" is locked
    And the new passcode unlocks "kiosk"

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
