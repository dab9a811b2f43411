package io.unblend.nbd.server;

/**
 * The client connections in transmission on each export, for the commands that would pull a volume
 * or snapshot from under its clients (deleting it): they refuse while it is in use, unless told to
 * close those connections first.
 */
public interface ExportConnections {
  /** No server: a command that opened the store itself has no clients to mind. */
  ExportConnections NONE =
      new ExportConnections() {
        @Override
        public int count(String exportName) {
          return 0;
        }

        @Override
        public int close(String exportName) {
          return 0;
        }
      };

  /** Connections in transmission on the export of that name. */
  int count(String exportName);

  /** Closes those connections (requests in flight get no answer) and returns how many. */
  int close(String exportName);
}
