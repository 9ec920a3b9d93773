# lockstep-reference-mdm:VERSION: the reference MDM (`lockstep mdm serve`)
# as the MDM under test of `lockstep run --target docker:IMAGE`, configured
# by the environment contract in docs/containers.md.
#
# Built by `lockstep image build` (harness/src/container/image.rs), which
# puts the binary, the shared libraries `ldd` names for it (and the loader)
# and fixtures/ under rootfs/ of the build context. FROM scratch: nothing
# is pulled, nothing is fetched while building.
FROM scratch
COPY rootfs/ /
WORKDIR /lockstep
ENV LOCKSTEP_LISTEN=0.0.0.0:8080 \
    LOCKSTEP_STATE_DIR=/var/lib/lockstep
EXPOSE 8080
VOLUME ["/var/lib/lockstep"]
ENTRYPOINT ["/lockstep/bin/lockstep", "--fixtures", "/lockstep/fixtures", "mdm", "serve"]
