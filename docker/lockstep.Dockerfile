# lockstep:VERSION: the harness with its suite (features/) and fixtures, for
# CI jobs: `docker run --rm --network host -v /var/run/docker.sock:/var/run/docker.sock
# -v "$PWD/reports:/lockstep/reports" lockstep:VERSION run --target docker:MDM_IMAGE ...`
# (docs/ci.md).
#
# Built by `lockstep image build` (harness/src/container/image.rs), which
# puts the binary, the shared libraries `ldd` names for it (and the loader),
# features/ and fixtures/ under rootfs/ of the build context. FROM scratch:
# nothing is pulled, nothing is fetched while building.
FROM scratch
COPY rootfs/ /
WORKDIR /lockstep
ENTRYPOINT ["/lockstep/bin/lockstep", "--fixtures", "/lockstep/fixtures"]
CMD ["run", "--no-progress"]
