package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.nbd.server.ExportConnections;
import java.io.PrintWriter;
import java.lang.System.Logger.Level;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * The store commands as the server runs them for its admin socket: the same classes as on the
 * command line, against the server's open store; {@code serve} is not among them.
 */
@Command(
    name = "unblend",
    subcommands = {
      SnapshotCommand.class,
      CloneCommand.class,
      VolumeCommand.class,
      StatusCommand.class
    })
public final class ServerCommands implements StoreAccess, Runnable {
  private static final System.Logger LOG = System.getLogger(ServerCommands.class.getName());

  @Spec CommandLine.Model.CommandSpec spec;

  private final Store store;
  private final ExportConnections connections;

  private ServerCommands(Store store, ExportConnections connections) {
    this.store = store;
    this.connections = connections;
  }

  /** Runs one command line sent to the server; returns its exit code. */
  public static int execute(
      Store store,
      ExportConnections connections,
      List<String> arguments,
      PrintWriter out,
      PrintWriter err) {
    CommandLine commandLine =
        CommandErrors.commandLine(new ServerCommands(store, connections)).setOut(out).setErr(err);
    try {
      return commandLine.execute(arguments.toArray(String[]::new));
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "admin command " + arguments + " failed", e);
      err.println("unblend: the server failed to run the command: " + e);
      return 70;
    }
  }

  @Override
  public int run(StoreCommand command) throws Exception {
    return command.runOn(store, connections);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "give a command: snapshot, clone, volume or status");
  }
}
