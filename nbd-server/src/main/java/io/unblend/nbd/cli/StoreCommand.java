package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.nbd.server.ExportConnections;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that works on a store (snapshot, clone, volume, status): the same code runs on the
 * command line and, sent over the admin socket, inside the server that holds the store.
 */
abstract class StoreCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin StoreOptions storeOptions = new StoreOptions();

  @Option(names = "--json", description = "Print the result as JSON, for scripts.")
  boolean json;

  private ExportConnections connections = ExportConnections.NONE;

  @Override
  public final Integer call() throws Exception {
    return ((StoreAccess) spec.root().userObject()).run(this);
  }

  /** Carries out the command on the open store. */
  abstract void execute(Store store, CommandOutput out) throws StoreException, CommandFailure;

  /**
   * Runs the command on {@code store}; {@code connections} are the server's clients, which a
   * command that deletes an export must not pull it from under.
   */
  final int runOn(Store store, ExportConnections connections)
      throws StoreException, CommandFailure {
    this.connections = connections;
    execute(store, new CommandOutput(spec.commandLine().getOut(), json));
    return 0;
  }

  /** A deletion in the store. */
  interface Deletion {
    void run() throws StoreException;
  }

  /**
   * Deletes an export: refuses while clients use it, unless {@code force}, which closes their
   * connections first; returns how many were closed. A client that connects between that check and
   * the deletion would find its export gone on every request, so its connection is closed after the
   * deletion too (ADR 0009).
   */
  final int deleteExport(String exportName, boolean force, String what, Deletion deletion)
      throws CommandFailure, StoreException {
    int open = connections.count(exportName);
    if (open > 0 && !force) {
      throw new CommandFailure(
          what
              + " is in use by "
              + open
              + (open == 1 ? " NBD connection" : " NBD connections")
              + "; disconnect its clients first, or give --force to close their connections and"
              + " delete it");
    }
    int closed = open > 0 ? connections.close(exportName) : 0;
    deletion.run();
    return closed + connections.close(exportName);
  }

  final StoreOptions storeOptions() {
    return storeOptions;
  }

  /** The whole command line as given, to send to the server. */
  final List<String> arguments() {
    return spec.root().commandLine().getParseResult().originalArgs();
  }

  /** What a delete says about the connections it closed (nothing when there were none). */
  static String closedNote(int closed) {
    return closed == 0
        ? ""
        : " (closed " + closed + (closed == 1 ? " NBD connection)" : " NBD connections)");
  }

  /** The volume or clone of that name, which must exist. */
  static Volume requireVolume(Store store, String name) throws CommandFailure {
    if (name.contains("@")) {
      throw new CommandFailure(
          "'" + name + "' is a snapshot; give a volume's name (see ./unblend volume list)");
    }
    Volume volume = store.volume(name);
    if (volume == null) {
      throw new CommandFailure("no volume named '" + name + "' (see ./unblend volume list)");
    }
    return volume;
  }

  /** Snapshot VOLUME@SNAPSHOT, which must exist (its volume may have been deleted since). */
  static Volume requireSnapshot(Store store, String volume, String snapshot) throws CommandFailure {
    if (volume.contains("@") || snapshot.contains("@")) {
      throw new CommandFailure(
          "give the volume and the snapshot as two arguments, without '@' (VOLUME SNAPSHOT)");
    }
    Volume found = store.volume(volume + "@" + snapshot);
    if (found == null || !found.isSnapshot()) {
      throw new CommandFailure(
          "volume '"
              + volume
              + "' has no snapshot named '"
              + snapshot
              + "' (see ./unblend snapshot list "
              + volume
              + ")");
    }
    return found;
  }
}
