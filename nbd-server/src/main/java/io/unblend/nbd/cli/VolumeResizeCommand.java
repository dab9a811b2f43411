package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code unblend volume resize NAME SIZE}: volumes only grow. */
@Command(
    name = "resize",
    mixinStandardHelpOptions = true,
    description =
        "Grow a volume (volumes never shrink). Connected clients may use the new sectors at once; they"
            + " see the new size when they next connect.")
public final class VolumeResizeCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "A volume or clone.")
  String name;

  @Parameters(
      index = "1",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description = "The new size: bytes, or with K, M, G, T (powers of two); a multiple of 512.")
  long sizeBytes;

  @Override
  void execute(Store store, CommandOutput out) throws StoreException, CommandFailure {
    long previousBytes = requireVolume(store, name).sizeBytes();
    store.resizeVolume(name, sizeBytes);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("name", name);
    fields.put("sizeBytes", sizeBytes);
    fields.put("previousSizeBytes", previousBytes);
    out.result(
        List.of(
            "unblend: volume "
                + name
                + " is "
                + Sizes.format(sizeBytes)
                + " (was "
                + Sizes.format(previousBytes)
                + ")"),
        fields);
  }
}
