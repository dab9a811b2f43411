package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unblend volume delete NAME}. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Delete a volume or clone; the space only it held is freed in the background.",
      "Its snapshots, and clones of them, stay."
    })
public final class VolumeDeleteCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Option(
      names = "--force",
      description = "Delete it even while NBD clients use it, closing their connections first.")
  boolean force;

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    if (name.contains("@")) {
      int at = name.indexOf('@');
      throw new CommandFailure(
          "'"
              + name
              + "' is a snapshot; delete it with ./unblend snapshot delete "
              + name.substring(0, at)
              + " "
              + name.substring(at + 1));
    }
    requireVolume(store, name);
    int closed = deleteExport(name, force, "volume '" + name + "'", () -> store.deleteVolume(name));
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("deleted", name);
    fields.put("connectionsClosed", closed);
    out.result(List.of("unblend: deleted volume " + name + closedNote(closed)), fields);
  }
}
