@iru @needs-work-profile-only @IRU-2
Feature: The reset dialog reads every kind of passcode policy
  Before it sends a new work profile passcode, the MDM checks it against the
  policy the profile is held to, and the reset dialog lists each rule with
  whether the typed passcode meets it. AMAPI's PasswordRequirements sets
  different rules for each quality: NUMERIC_COMPLEX forbids repeated and
  ordered digits, ALPHANUMERIC wants a letter and a digit, COMPLEX adds a
  minimum for each class of character it names, and the complexity bands
  forbid sequences of letters as well as digits, while the policy's minimum
  length counts only for the qualities from NUMERIC to COMPLEX. An MDM that reads one of
  them wrong sends passcodes the device refuses, or refuses good ones.

  Background:
    Given Ivan is a site administrator
    And Erin is an end user

  Scenario: A numeric-complex policy refuses repeated and ordered digits, and only those
    Given the work profile passcode policy requires numeric-complex passcodes
    And a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan types a new passcode of 6 digits in sequence in the reset dialog for "phone"
    Then the dialog lists exactly these requirements:
      | requirement                       | met |
      | a passcode is set                 | yes |
      | no repeating or ordered sequences | no  |
      | at least 4 characters             | yes |
      | at least 6 characters             | yes |
    And the Reset passcode button is disabled
    When Ivan types a new passcode of 6 repeated digits in the reset dialog for "phone"
    Then the Reset passcode button is disabled
    When Ivan types a new passcode of 6 digits rising unevenly in the reset dialog for "phone"
    Then the Reset passcode button is enabled

  Scenario: Under a complexity policy a repeated letter is a sequence too, and the policy's own length does not count
    Given the work profile passcode policy requires complexity-medium passcodes of at least 8 characters
    And a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan types a new passcode of 6 repeated letters in the reset dialog for "phone"
    Then the dialog lists exactly these requirements:
      | requirement                       | met |
      | a passcode is set                 | yes |
      | no repeating or ordered sequences | no  |
      | at least 4 characters             | yes |
    And the Reset passcode button is disabled
    When Ivan types a new passcode of 6 letters in the reset dialog for "phone"
    Then the Reset passcode button is enabled

  Scenario Outline: An <quality> policy wants <want>
    Given the work profile passcode policy requires <quality> passcodes of at least 8 characters
    And a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan types a new passcode of <typed> in the reset dialog for "phone"
    Then the dialog lists these requirements:
      | requirement | met |
      | <rule>      | no  |
    And the Reset passcode button is disabled
    When Ivan types a new passcode of <good> in the reset dialog for "phone"
    Then the dialog lists these requirements:
      | requirement | met |
      | <rule>      | yes |
    And the Reset passcode button is enabled

    Examples:
      | quality      | want                        | rule                          | typed      | good                  |
      | alphanumeric | a digit as well as a letter | contains a letter and a digit | 10 letters | 10 letters and digits |
      | alphabetic   | a letter                    | contains a letter             | 10 digits  | 10 letters            |

  Scenario: A complex policy lists each minimum it sets, and checks each
    Given the work profile passcode policy requires complex passcodes of at least 8 characters
    And the passcode policy also requires at least 1 upper-case letter
    And the passcode policy also requires at least 1 symbol
    And a "google-pixel-8" device "phone" enrolled work-profile-personal for Erin with a 6-digit passcode
    When Ivan types a new passcode of 8 characters with a symbol and an upper-case letter in the reset dialog for "phone"
    Then the dialog lists exactly these requirements:
      | requirement                   | met |
      | a passcode is set             | yes |
      | at least 8 characters         | yes |
      | at least 1 upper-case letters | yes |
      | at least 1 symbols            | yes |
      | at least 4 characters         | yes |
    And the Reset passcode button is enabled
    When Ivan types a new passcode of 8 characters with a symbol in the reset dialog for "phone"
    Then the dialog lists these requirements:
      | requirement                   | met |
      | at least 1 upper-case letters | no  |
      | at least 1 symbols            | yes |
    And the Reset passcode button is disabled
    When Ivan types a new passcode of 8 characters with an upper-case letter in the reset dialog for "phone"
    Then the dialog lists these requirements:
      | requirement                   | met |
      | at least 1 upper-case letters | yes |
      | at least 1 symbols            | no  |
    And the Reset passcode button is disabled
