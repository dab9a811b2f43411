package io.unblend.nbd.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
   * Fails when the address cannot be listened on (in use, or not one of this host's), so that a
   * server that could not serve does not create a store first.
   */
  void checkBindable(CommandLine commandLine) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(socketAddress);
    } catch (IOException e) {
      throw new CommandLine.ParameterException(
          commandLine,
          "--listen "
              + given
              + ": cannot listen there ("
              + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())
              + "); choose another address or port");
    }
  }

  /** The URI of {@code export} served at this address, on the port actually bound. */
  String uri(int boundPort, String export) {
    String uriHost = host.contains(":") ? "[" + host + "]" : host;
    return "nbd://" + uriHost + ":" + boundPort + "/" + export;
  }
}
