package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.core.VolumeSummary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code unblend volume list}: volumes and clones (snapshots: {@code snapshot list}). */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List volumes and clones (snapshots are listed by: unblend snapshot list).")
public final class VolumeListCommand extends StoreCommand {
  @Override
  void execute(Store store, CommandOutput out) throws StoreException {
    List<VolumeSummary> summaries = store.listVolumes();
    Map<Integer, String> names = new HashMap<>();
    for (VolumeSummary summary : summaries) {
      names.put(summary.id(), summary.name());
    }
    List<List<String>> cells = new ArrayList<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (VolumeSummary summary : summaries) {
      if (summary.snapshot()) {
        continue;
      }
      // A clone's origin is the snapshot it started from; it may have been deleted since.
      String cloneOf = summary.originId() == 0 ? null : names.get(summary.originId());
      cells.add(
          List.of(
              summary.name(),
              Sizes.format(summary.sizeBytes()),
              Long.toString(summary.extentCount()),
              cloneOf == null ? "-" : cloneOf));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", summary.name());
      row.put("sizeBytes", summary.sizeBytes());
      row.put("extents", summary.extentCount());
      row.put("cloneOf", cloneOf);
      rows.add(row);
    }
    out.table(List.of("VOLUME", "SIZE", "EXTENTS", "CLONE OF"), cells, rows);
  }
}
