package io.unblend.nbd.server;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.logstore.core.VolumeSummary;
import io.unblend.nbd.handshake.Export;
import io.unblend.nbd.handshake.ExportRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Every volume of a store is an export of the same name; "" means the default volume. Snapshots are
 * exports too, named VOLUME@SNAPSHOT and always read-only. Volumes are looked up at every option,
 * so volumes, snapshots and clones created while the server runs are served at once.
 */
public final class StoreExports implements ExportRegistry {
  private final Store store;
  private final String defaultVolume;
  private final Set<String> readOnly;

  /**
   * @param readOnly volumes served read-only: writes get NBD_EPERM
   */
  public StoreExports(Store store, String defaultVolume, Set<String> readOnly) {
    this.store = store;
    this.defaultVolume = defaultVolume;
    this.readOnly = Set.copyOf(readOnly);
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

  private Export export(Volume volume) {
    if (volume.isSnapshot()) {
      int at = volume.name().indexOf('@');
      return new Export(
          volume.name(),
          "unblend snapshot "
              + volume.name().substring(at + 1)
              + " of volume "
              + volume.name().substring(0, at)
              + ", "
              + volume.sizeBytes()
              + " bytes, read-only",
          volume,
          true);
    }
    boolean isReadOnly = readOnly.contains(volume.name());
    return new Export(
        volume.name(),
        "unblend thin volume, " + volume.sizeBytes() + " bytes" + (isReadOnly ? ", read-only" : ""),
        volume,
        isReadOnly);
  }
}
