package io.unblend.nbd.metadata;

import static io.unblend.nbd.protocol.NbdConstants.BASE_ALLOCATION;
import static io.unblend.nbd.protocol.NbdConstants.UNBLEND_CHANGED_PREFIX;

import io.unblend.nbd.handshake.Export;
import io.unblend.nbd.handshake.ExportRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metadata contexts an export offers, and which of them a client's queries name (doc/proto.md
 * "Metadata querying", "NBD_OPT_LIST_META_CONTEXT", "NBD_OPT_SET_META_CONTEXT"):
 *
 * <ul>
 *   <li>{@code base:allocation} on every export;
 *   <li>{@code unblend:changed:SNAPSHOT} on export VOLUME or VOLUME@LATER for every snapshot
 *       VOLUME@SNAPSHOT of the same volume.
 * </ul>
 *
 * Listing also takes the wildcards {@code base:}, {@code unblend:} and {@code unblend:changed:} (an
 * empty leaf-name, as the spec recommends); selecting takes full names only. Queries for unknown
 * namespaces or contexts are ignored, as the spec requires.
 */
public final class MetadataContexts {
  /** The most contexts one NBD_OPT_SET_META_CONTEXT may select; more get NBD_REP_ERR_TOO_BIG. */
  public static final int SELECTED_MAX = 64;

  private static final String BASE_NAMESPACE = "base:";
  private static final String UNBLEND_NAMESPACE = "unblend:";

  private final ExportRegistry exports;

  public MetadataContexts(ExportRegistry exports) {
    this.exports = exports;
  }

  /** NBD_OPT_LIST_META_CONTEXT: the contexts matching any query, or all with no query. */
  public List<MetadataContext> list(Export export, List<String> queries) {
    Map<String, MetadataContext> found = new LinkedHashMap<>();
    if (queries.isEmpty()) {
      add(found, List.of(new BaseAllocation()));
      add(found, allChanged(export));
    }
    for (String query : queries) {
      switch (query) {
        case BASE_NAMESPACE -> add(found, List.of(new BaseAllocation()));
        case UNBLEND_NAMESPACE, UNBLEND_CHANGED_PREFIX -> add(found, allChanged(export));
        default -> add(found, exactly(export, query));
      }
    }
    return List.copyOf(found.values());
  }

  /** NBD_OPT_SET_META_CONTEXT: the contexts the queries name exactly, each once. */
  public List<MetadataContext> select(Export export, List<String> queries) {
    Map<String, MetadataContext> found = new LinkedHashMap<>();
    for (String query : queries) {
      add(found, exactly(export, query));
    }
    return List.copyOf(found.values());
  }

  private static void add(Map<String, MetadataContext> found, List<MetadataContext> contexts) {
    for (MetadataContext context : contexts) {
      found.putIfAbsent(context.name(), context);
    }
  }

  private List<MetadataContext> exactly(Export export, String query) {
    if (query.equals(BASE_ALLOCATION)) {
      return List.of(new BaseAllocation());
    }
    if (query.startsWith(UNBLEND_CHANGED_PREFIX)
        && query.length() > UNBLEND_CHANGED_PREFIX.length()) {
      String snapshot = query.substring(UNBLEND_CHANGED_PREFIX.length());
      Export base = snapshot.contains("@") ? null : exports.find(volumeOf(export) + "@" + snapshot);
      if (base != null && base.volume().isSnapshot()) {
        return List.of(new ChangedBlocks(snapshot, base.volume()));
      }
    }
    return List.of();
  }

  private List<MetadataContext> allChanged(Export export) {
    String prefix = volumeOf(export) + "@";
    List<MetadataContext> changed = new ArrayList<>();
    for (Export candidate : exports.list()) {
      if (candidate.name().startsWith(prefix) && candidate.volume().isSnapshot()) {
        changed.add(
            new ChangedBlocks(candidate.name().substring(prefix.length()), candidate.volume()));
      }
    }
    return changed;
  }

  /** The volume an export belongs to: its own name, or for VOLUME@SNAPSHOT the VOLUME part. */
  private static String volumeOf(Export export) {
    int at = export.name().indexOf('@');
    return at < 0 ? export.name() : export.name().substring(0, at);
  }
}
