package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unblend snapshot create VOLUME SNAPSHOT}, or {@code --group GROUP VOLUME...}: one
 * snapshot, or one snapshot named GROUP of each volume, all at one log position.
 */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    customSynopsis = {
      "unblend snapshot create [--json] [--data-dir=DIR] VOLUME SNAPSHOT",
      "       unblend snapshot create [--json] [--data-dir=DIR] --group=GROUP VOLUME...",
    },
    description = {
      "Snapshot a volume: instant, read-only, served at once as VOLUME@SNAPSHOT.",
      "With --group, every VOLUME gets a snapshot named GROUP, all taken at one point: together"
          + " they are crash-consistent."
    })
public final class SnapshotCreateCommand extends StoreCommand {
  @Option(
      names = "--group",
      paramLabel = "GROUP",
      description = "Snapshot every VOLUME given, each as VOLUME@GROUP, at one point.")
  String group;

  @Parameters(paramLabel = "NAME", description = "VOLUME SNAPSHOT, or with --group: VOLUME...")
  List<String> names = new ArrayList<>();

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    String snapshot;
    List<String> volumes;
    if (group != null) {
      if (names.isEmpty()) {
        throw new CommandFailure("--group " + group + ": name one or more volumes to snapshot");
      }
      snapshot = group;
      volumes = names;
    } else {
      if (names.size() != 2) {
        throw new CommandFailure(
            "give VOLUME SNAPSHOT (or --group GROUP VOLUME... for several volumes at once)");
      }
      snapshot = names.get(1);
      volumes = List.of(names.get(0));
    }
    for (String volume : volumes) {
      requireVolume(store, volume);
      if (store.volume(volume + "@" + snapshot) != null) {
        throw new CommandFailure(
            "volume '"
                + volume
                + "' already has a snapshot named '"
                + snapshot
                + "' (see ./unblend snapshot list "
                + volume
                + ")");
      }
    }
    List<Volume> created = store.createGroupSnapshot(snapshot, volumes);
    List<String> lines = new ArrayList<>();
    List<Object> fields = new ArrayList<>();
    for (Volume volume : created) {
      lines.add("unblend: created snapshot " + volume.name() + " (read-only export)");
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", volume.name());
      entry.put("volume", volume.name().substring(0, volume.name().indexOf('@')));
      entry.put("snapshot", snapshot);
      entry.put("sizeBytes", volume.sizeBytes());
      fields.add(entry);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("snapshots", fields);
    out.result(lines, result);
  }
}
