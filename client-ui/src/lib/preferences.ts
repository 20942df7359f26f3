// Choices remembered on this machine between runs (in the web view's storage): the default
// biometric device of each modality, by make, model and serial number (ports and SBI device
// ids change when devices are plugged in again).

import type { BioType, Device } from "./backend";

const PREFIX = "enrol.defaultDevice.";

export function deviceIdentity(device: Device): string {
  return `${device.make}|${device.model}|${device.serialNo}`;
}

export class Preferences {
  private readonly storage?: Storage;

  constructor(storage?: Storage) {
    this.storage = storage;
  }

  /** The identity of the default device for `bioType`, if one was chosen. */
  defaultDevice(bioType: BioType): string | null {
    return this.storage?.getItem(PREFIX + bioType) ?? null;
  }

  setDefaultDevice(bioType: BioType, identity: string | null) {
    if (identity) this.storage?.setItem(PREFIX + bioType, identity);
    else this.storage?.removeItem(PREFIX + bioType);
  }

  /** The default device of its modality among `usable`, if it is there. */
  preferred(usable: Device[]): Device | undefined {
    return usable.find((device) => device.bioType && this.defaultDevice(device.bioType) === deviceIdentity(device));
  }
}

/** The Svelte context key under which the app provides its `Preferences`. */
export const PREFERENCES = Symbol("preferences");
