package io.unblend.nbd.server;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.logstore.core.VolumeSummary;
import io.unblend.nbd.handshake.Export;
import io.unblend.nbd.handshake.ExportRegistry;
import java.util.ArrayList;
import java.util.List;

/** Every volume of a store is an export of the same name; "" means the default volume. */
public final class StoreExports implements ExportRegistry {
  private final Store store;
  private final String defaultVolume;

  public StoreExports(Store store, String defaultVolume) {
    this.store = store;
    this.defaultVolume = defaultVolume;
  }

  @Override
  public Export find(String name) {
    Volume volume = store.volume(name.isEmpty() && defaultVolume != null ? defaultVolume : name);
    return volume == null ? null : export(volume);
  }

  @Override
  public List<Export> list() {
    List<Export> exports = new ArrayList<>();
    try {
      for (VolumeSummary summary : store.listVolumes()) {
        Volume volume = store.volume(summary.name());
        if (volume != null) {
          exports.add(export(volume));
        }
      }
    } catch (StoreException e) {
      return List.of();
    }
    return exports;
  }

  private static Export export(Volume volume) {
    return new Export(
        volume.name(), "unblend thin volume, " + volume.sizeBytes() + " bytes", volume, false);
  }
}
