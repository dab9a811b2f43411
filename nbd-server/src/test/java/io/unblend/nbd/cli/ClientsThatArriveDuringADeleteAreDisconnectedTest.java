package io.unblend.nbd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.nbd.server.ExportConnections;
import io.unblend.nbd.testing.SimulatedStores;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ADR 0009: a delete checks for clients, then deletes. A client whose connection reaches the export
 * between the two would get EINVAL on every request, so the server closes the export's connections
 * once more after the delete. The race cannot be timed through a real server; here the server's
 * connections are a stand-in that has a client only once the check is done.
 */
class ClientsThatArriveDuringADeleteAreDisconnectedTest {
  /** No client at the check; one appears at once after it. Records the volume at each close. */
  private static final class LateClient implements ExportConnections {
    private final Store store;
    private final String exportName;
    final List<Boolean> volumeExistedAtClose = new ArrayList<>();
    private boolean clientConnected;

    LateClient(Store store, String exportName) {
      this.store = store;
      this.exportName = exportName;
    }

    @Override
    public int count(String name) {
      clientConnected = name.equals(exportName);
      return 0;
    }

    @Override
    public int close(String name) {
      volumeExistedAtClose.add(store.volume(exportName) != null);
      int closed = clientConnected && name.equals(exportName) ? 1 : 0;
      clientConnected = false;
      return closed;
    }
  }

  @Test
  void aClientThatConnectsAfterTheCheckIsClosedOnceTheVolumeIsGone() throws Exception {
    try (Store store = SimulatedStores.open()) {
      store.createVolume("vm1", 1 << 20);
      LateClient connections = new LateClient(store, "vm1");
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int exit =
          ServerCommands.execute(
              store,
              connections,
              List.of("volume", "delete", "vm1", "--json"),
              new PrintWriter(out, true),
              new PrintWriter(err, true));
      assertThat(exit).as(err.toString()).isZero();
      assertThat(store.volume("vm1")).isNull();
      assertThat(connections.volumeExistedAtClose).containsExactly(false);
      assertThat(out.toString()).contains("\"connectionsClosed\":1");
    }
  }
}
