package io.unblend.nbd.handshake;

import io.unblend.logstore.Volume;

/** A volume as a client sees it: its export name, a description, whether it may be written. */
public record Export(String name, String description, Volume volume, boolean readOnly) {}
