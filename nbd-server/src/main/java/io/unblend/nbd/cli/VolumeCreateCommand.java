package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code unblend volume create NAME SIZE}. */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = "Create a thin volume; a running server serves it at once.")
public final class VolumeCreateCommand extends StoreCommand {
  @Parameters(
      index = "0",
      paramLabel = "NAME",
      description = "1 to 255 bytes, without '@' or control characters.")
  String name;

  @Parameters(
      index = "1",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description = "Bytes, or with K, M, G, T (powers of two); a multiple of 512.")
  long sizeBytes;

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    if (store.volume(name) != null) {
      throw new CommandFailure(
          "a volume named '" + name + "' exists already (see ./unblend volume list)");
    }
    Volume volume = store.createVolume(name, sizeBytes);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("name", volume.name());
    fields.put("sizeBytes", volume.sizeBytes());
    out.result(
        List.of("unblend: created volume " + volume.name() + " (" + Sizes.format(sizeBytes) + ")"),
        fields);
  }
}
