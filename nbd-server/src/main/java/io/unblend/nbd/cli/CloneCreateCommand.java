package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code unblend clone create VOLUME SNAPSHOT NEWVOLUME}. */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description =
        "Create NEWVOLUME, a writable volume that starts as snapshot VOLUME@SNAPSHOT and shares its"
            + " data until written; served at once.")
public final class CloneCreateCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "VOLUME")
  String volume;

  @Parameters(index = "1", paramLabel = "SNAPSHOT")
  String snapshot;

  @Parameters(index = "2", paramLabel = "NEWVOLUME")
  String newVolume;

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    requireSnapshot(store, volume, snapshot);
    if (store.volume(newVolume) != null) {
      throw new CommandFailure(
          "a volume named '" + newVolume + "' exists already (see ./unblend volume list)");
    }
    Volume clone = store.cloneSnapshot(volume, snapshot, newVolume);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("name", clone.name());
    fields.put("sizeBytes", clone.sizeBytes());
    fields.put("cloneOf", volume + "@" + snapshot);
    out.result(
        List.of(
            "unblend: created clone "
                + clone.name()
                + " of "
                + volume
                + "@"
                + snapshot
                + " ("
                + Sizes.format(clone.sizeBytes())
                + ")"),
        fields);
  }
}
