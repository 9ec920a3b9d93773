//! Where the simulated device lives. adbd-sim does not own the device: it
//! reaches it through [`DeviceHost`], so the harness (or the AMAPI mock)
//! and the adb view act on one and the same `android_sim::Device`.

use android_sim::{Device, SimTime};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The device could not be reached through its host.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub String);

/// Something that holds one simulated device and a clock.
pub trait DeviceHost: Send + Sync + fmt::Debug {
    /// Run `f` once on the device, at the host's current simulated time.
    fn with_device(&self, f: &mut dyn FnMut(&mut Device, SimTime)) -> Result<(), HostError>;
}

/// Run `f` on the device behind `host` and return what it returns.
pub fn act<R>(host: &dyn DeviceHost, f: impl FnOnce(&mut Device, SimTime) -> R) -> Result<R, HostError> {
    let mut f = Some(f);
    let mut out = None;
    host.with_device(&mut |d, now| {
        if let Some(f) = f.take() {
            out = Some(f(d, now));
        }
    })?;
    out.ok_or_else(|| HostError("the device host did not run the action".into()))
}

/// A device of its own, shared between threads, on a clock that starts at
/// zero when the device is made and runs in real time (keyguard lockouts
/// last as long as on a phone).
#[derive(Clone)]
pub struct SharedDevice {
    device: Arc<Mutex<Device>>,
    started: Instant,
}

impl SharedDevice {
    pub fn new(device: Device) -> Self {
        SharedDevice { device: Arc::new(Mutex::new(device)), started: Instant::now() }
    }

    /// The simulated time now.
    pub fn now(&self) -> SimTime {
        SimTime::from_millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Run `f` on the device. A panic in an earlier holder does not poison
    /// it for good: the device state is plain data.
    pub fn act<R>(&self, f: impl FnOnce(&mut Device, SimTime) -> R) -> R {
        let now = self.now();
        let mut d = self.device.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut d, now)
    }
}

impl fmt::Debug for SharedDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.device.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("SharedDevice").field("profile", &d.profile().name).finish_non_exhaustive()
    }
}

impl DeviceHost for SharedDevice {
    fn with_device(&self, f: &mut dyn FnMut(&mut Device, SimTime)) -> Result<(), HostError> {
        self.act(|d, now| f(d, now));
        Ok(())
    }
}
