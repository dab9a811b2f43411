package io.unblend.nbd.cli;

import io.unblend.nbd.server.ErrorMessages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * A TCP address of {@code serve --listen HOST:PORT}: as the user wrote it, its host so (for the
 * URIs printed: "::1" or "localhost", not the JDK's long form of the bound address), and resolved.
 * Every problem is a usage error that names the flag, found before the store is opened.
 */
record ListenAddress(String given, String host, InetSocketAddress socketAddress) {
  /** The address served when neither --listen nor --socket is given: NBD's IANA port. */
  static final String DEFAULT = "127.0.0.1:10809";

  /** Parses and resolves one --listen value. */
  static ListenAddress parse(String given, CommandLine commandLine) {
    int colon = given.lastIndexOf(':');
    String host = colon < 0 ? "" : given.substring(0, colon);
    String port = colon < 0 ? given : given.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int number;
    try {
      number = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      number = -1;
    }
    if (number < 0 || number > 65535 || host.isEmpty()) {
      throw new CommandLine.ParameterException(
          commandLine,
          "--listen " + given + ": use HOST:PORT, e.g. 127.0.0.1:10809 or [::1]:10809");
    }
    InetSocketAddress resolved = new InetSocketAddress(host, number);
    if (resolved.isUnresolved()) {
      throw new CommandLine.ParameterException(
          commandLine,
          "--listen "
              + given
              + ": no address is known for host '"
              + host
              + "'; give an IP address of this host or a name it resolves");
    }
    return new ListenAddress(given, host, resolved);
  }

  /**
   * Fails when an address cannot be listened on (in use, not one of this host's, or given twice
   * over), so that a server that could not serve does not create a store first. Every address is
   * bound at once, as the server will bind them.
   */
  static void checkBindable(List<ListenAddress> addresses, CommandLine commandLine) {
    List<ServerSocket> probes = new ArrayList<>();
    try {
      for (ListenAddress address : addresses) {
        ServerSocket probe = new ServerSocket();
        probes.add(probe);
        try {
          probe.setReuseAddress(true);
          probe.bind(address.socketAddress);
        } catch (IOException e) {
          throw new CommandLine.ParameterException(
              commandLine,
              "--listen "
                  + address.given
                  + ": cannot listen there ("
                  + ErrorMessages.of(e)
                  + "); choose another address or port");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket probe : probes) {
        try {
          probe.close();
        } catch (IOException e) {
          // Closing a probe that listened on nothing the server needs: nothing to do.
        }
      }
    }
  }

  /** The URI of {@code export} served at this address, on the port actually bound. */
  String uri(int boundPort, String export) {
    String uriHost = host.contains(":") ? "[" + host + "]" : host;
    return "nbd://" + uriHost + ":" + boundPort + "/" + export;
  }
}
