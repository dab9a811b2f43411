package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code unblend status}: the log's capacity and fill, live and dead bytes, write amplification
 * since the store was opened, and how many volumes and snapshots it holds.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show the log's capacity and fill, live and dead bytes, write amplification since the"
          + " store was opened (since the server started, when one runs), volumes and snapshots."
    })
public final class StatusCommand extends StoreCommand {
  @Override
  void execute(Store store, CommandOutput out) throws StoreException {
    StoreStatus status = store.status();
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("logBytes", status.logBytes());
    fields.put("segmentBytes", status.segmentBytes());
    fields.put("segments", status.segmentCount());
    fields.put("freeSegments", status.freeSegments());
    fields.put("fill", status.fill());
    fields.put("liveBytes", status.liveBytes());
    fields.put("deadBytes", status.deadBytes());
    fields.put("clientBytesWritten", status.clientBytesWritten());
    fields.put("logBytesWritten", status.logBytesWritten());
    fields.put("cleanerBytesWritten", status.cleanerBytesWritten());
    fields.put("writeAmplification", status.writeAmplification());
    fields.put("checkpointsWritten", status.checkpointsWritten());
    fields.put("checkpointBytesWritten", status.checkpointBytesWritten());
    fields.put("volumes", status.volumes());
    fields.put("snapshots", status.snapshots());
    out.result(
        List.of(
            String.format(
                Locale.ROOT,
                "log:                 %s in %d segments of %s, %.1f%% filled (%d segments free)",
                Sizes.format(status.logBytes()),
                status.segmentCount(),
                Sizes.format(status.segmentBytes()),
                100 * status.fill(),
                status.freeSegments()),
            "live data:           " + Sizes.format(status.liveBytes()),
            "dead data:           "
                + Sizes.format(status.deadBytes())
                + " (the cleaner's to win back)",
            String.format(
                Locale.ROOT,
                "write amplification: %.2f (%s written to the log for %s from clients, %s of it by"
                    + " the cleaner)",
                status.writeAmplification(),
                Sizes.format(status.logBytesWritten()),
                Sizes.format(status.clientBytesWritten()),
                Sizes.format(status.cleanerBytesWritten())),
            String.format(
                Locale.ROOT,
                "checkpoints:         %d written, %s (besides the log)",
                status.checkpointsWritten(),
                Sizes.format(status.checkpointBytesWritten())),
            "volumes:             " + status.volumes(),
            "snapshots:           " + status.snapshots()),
        fields);
  }
}
