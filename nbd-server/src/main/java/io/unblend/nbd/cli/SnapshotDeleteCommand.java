package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unblend snapshot delete VOLUME SNAPSHOT}. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Delete snapshot VOLUME@SNAPSHOT; the space only it held is freed in the background.",
      "Clones made from it keep their data."
    })
public final class SnapshotDeleteCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "VOLUME")
  String volume;

  @Parameters(index = "1", paramLabel = "SNAPSHOT")
  String snapshot;

  @Option(
      names = "--force",
      description = "Delete it even while NBD clients read it, closing their connections first.")
  boolean force;

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    requireSnapshot(store, volume, snapshot);
    String exportName = volume + "@" + snapshot;
    int closed =
        deleteExport(
            exportName,
            force,
            "snapshot '" + exportName + "'",
            () -> store.deleteSnapshot(volume, snapshot));
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("deleted", exportName);
    fields.put("connectionsClosed", closed);
    out.result(List.of("unblend: deleted snapshot " + exportName + closedNote(closed)), fields);
  }
}
