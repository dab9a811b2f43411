package io.unblend.nbd.cli;

/**
 * How a store command reaches its store; the root command of the command line provides it: on the
 * command line, through the server that holds the store or else by opening it; inside the server,
 * its open store.
 */
interface StoreAccess {
  /** Runs {@code command} against its store and returns the exit code. */
  int run(StoreCommand command) throws Exception;
}
