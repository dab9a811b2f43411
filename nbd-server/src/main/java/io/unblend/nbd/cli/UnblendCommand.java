package io.unblend.nbd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code unblend} command line; {@code ./unblend} at the repository root runs it. */
@Command(
    name = "unblend",
    mixinStandardHelpOptions = true,
    version = "unblend 0.1.0",
    description = "A block-storage server: many NBD volumes written into one shared log.",
    subcommands = {
      ServeCommand.class,
      SnapshotCommand.class,
      CloneCommand.class,
      VolumeCommand.class,
      StatusCommand.class
    })
public final class UnblendCommand implements Runnable, StoreAccess {
  private final StoreAccess standalone = new StandaloneAccess();

  /** Store commands go to the server that holds the store, or open it themselves. */
  @Override
  public int run(StoreCommand command) throws Exception {
    return standalone.run(command);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    // One line per log record: time, level, what happened; and still logged while stopping.
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %5$s%6$s%n");
    System.setProperty("java.util.logging.manager", ServerLogManager.class.getName());
    System.exit(CommandErrors.commandLine(new UnblendCommand()).execute(args));
  }
}
