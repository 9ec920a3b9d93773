@docker @miradore
Feature: The MDM under test runs as a container image
  QA teams ship their MDM as a container image. Lockstep starts it with
  its environment contract (docs/containers.md), drives it through the
  driver protocol, and here kills it the hard way: every action it
  acknowledged must survive a restart on its volume, and a command that
  reached AMAPI before the crash must not be sent a second time.

  Background:
    Given Alice is a site administrator
    And Erin is an end user
    And Ivan is an end user
    And a "google-pixel-8" device "phone" enrolled fully-managed for Erin with a 6-digit passcode
    And a "google-pixel-8" device "tablet" enrolled fully-managed for Ivan with a 6-digit passcode

  @MIR-6
  Scenario: An MDM container killed mid-wave and restarted on its volume loses no action and sends none twice
    Given AMAPI takes 2 seconds to answer each command
    When Alice resets the passcode of "phone"
    And Alice resets the passcode of "tablet"
    And the MDM's container is cut off while AMAPI carries out a command, then killed with SIGKILL and started again on its volume
    Then the action log shows the reset of "phone" as completed
    And the action log shows the reset of "tablet" as completed
    And the MDM sent exactly one passcode reset to "phone"
    And the MDM sent exactly one passcode reset to "tablet"
    And the new passcode unlocks "phone"
    And the new passcode unlocks "tablet"
