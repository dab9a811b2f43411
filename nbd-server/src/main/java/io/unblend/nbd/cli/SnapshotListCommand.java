package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.core.VolumeSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code unblend snapshot list [VOLUME]}: every snapshot, or those of one volume. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List snapshots, of all volumes or of VOLUME.")
public final class SnapshotListCommand extends StoreCommand {
  @Parameters(paramLabel = "VOLUME", arity = "0..1", description = "Only this volume's snapshots.")
  String volume;

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    List<List<String>> cells = new ArrayList<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (VolumeSummary summary : store.listVolumes()) {
      if (!summary.snapshot()) {
        continue;
      }
      int at = summary.name().indexOf('@');
      String of = summary.name().substring(0, at);
      if (volume != null && !volume.equals(of)) {
        continue;
      }
      String snapshot = summary.name().substring(at + 1);
      cells.add(
          List.of(
              summary.name(),
              of,
              snapshot,
              Sizes.format(summary.sizeBytes()),
              Long.toString(summary.extentCount())));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", summary.name());
      row.put("volume", of);
      row.put("snapshot", snapshot);
      row.put("sizeBytes", summary.sizeBytes());
      row.put("extents", summary.extentCount());
      rows.add(row);
    }
    if (volume != null && rows.isEmpty()) {
      // A deleted volume's snapshots stay; with none left, the name was probably mistyped.
      requireVolume(store, volume);
    }
    out.table(List.of("EXPORT", "VOLUME", "SNAPSHOT", "SIZE", "EXTENTS"), cells, rows);
  }
}
