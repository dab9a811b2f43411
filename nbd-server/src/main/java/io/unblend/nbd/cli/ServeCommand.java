package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import io.unblend.logstore.core.VolumeSummary;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.nbd.admin.AdminServer;
import io.unblend.nbd.server.ErrorMessages;
import io.unblend.nbd.server.NbdServer;
import io.unblend.nbd.server.StoreExports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unblend serve}: opens (or creates) a store and serves its volumes over NBD. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve the store's volumes over NBD until SIGTERM or SIGINT.",
    sortOptions = false)
public final class ServeCommand implements Callable<Integer> {
  static final String DEFAULT_VOLUME = "default";

  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin StoreOptions storeOptions = new StoreOptions();

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description =
          "TCP address to serve on; repeatable (default 127.0.0.1:10809 when no --socket is given).")
  List<String> listen = new ArrayList<>();

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "Unix socket to serve on; repeatable.")
  List<Path> sockets = new ArrayList<>();

  @Option(
      names = "--volume",
      paramLabel = "NAME=SIZE",
      description =
          "Create this thin volume if the store has none of that name; repeatable. Sizes take K, M, G, T (powers of two). Default: default=16G when the store has no volumes.")
  List<String> volumes = new ArrayList<>();

  @Option(
      names = "--read-only",
      paramLabel = "NAME",
      description = "Serve this volume read-only (writes get EPERM); repeatable.")
  List<String> readOnly = new ArrayList<>();

  @Option(
      names = "--log-size",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description = "Log capacity of a new store (default: ${DEFAULT-VALUE}).",
      defaultValue = "4G")
  long logBytes;

  @Option(
      names = "--segment-size",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description = "Log segment size of a new store (default: ${DEFAULT-VALUE}).",
      defaultValue = "64M")
  long segmentBytes;

  @Option(
      names = "--checkpoint-interval",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description =
          "Log bytes written between checkpoints, at least (default: ${DEFAULT-VALUE}): a crash replays at most about this much at the next start, and each checkpoint costs three device cache flushes (the log's, then its own body and header). Once a checkpoint (24 bytes per extent) is larger than a quarter of it, checkpoints come four times their size apart, up to 1/16 of the log.",
      defaultValue = "256M")
  long checkpointIntervalBytes;

  @Option(
      names = "--max-request",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description =
          "Largest read or write advertised to clients, and the most data one reply chunk carries: a multiple of 4K from 64K to 1G (default: ${DEFAULT-VALUE}); clients that do not ask are served up to four times as much.",
      defaultValue = "32M")
  long requestBytesMax;

  @Option(
      names = "--max-in-flight",
      paramLabel = "N",
      description =
          "Requests in flight per connection before it stops reading (default: ${DEFAULT-VALUE}).",
      defaultValue = "128")
  int requestsInFlightMax;

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      description =
          "Client connections open at once, 1 to 65536; one more is closed as soon as it is"
              + " accepted, with a log line (default: ${DEFAULT-VALUE}).",
      defaultValue = "1024")
  int connectionsMax;

  @Override
  public Integer call() throws Exception {
    Map<String, Long> wanted = parseVolumes();
    checkSettings(wanted);
    if (listen.isEmpty() && sockets.isEmpty()) {
      listen.add(ListenAddress.DEFAULT);
    }
    List<ListenAddress> addresses = new ArrayList<>();
    for (String address : listen) {
      addresses.add(ListenAddress.parse(address, spec.commandLine()));
    }
    long acceptedBytesMax = Math.min(1L << 30, 4 * requestBytesMax);
    // Reads of up to 64 KiB must be served in one chunk (doc/proto.md "NBD_CMD_READ"), and no
    // chunk may carry more than the maximum advertised.
    if (requestBytesMax % 4096 != 0
        || requestBytesMax < (64 << 10)
        || requestBytesMax > (1 << 30)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--max-request must be a multiple of 4K from 64K to 1G");
    }
    if (logBytes % 4096 != 0 || segmentBytes % 4096 != 0 || segmentBytes > Integer.MAX_VALUE) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--log-size and --segment-size must be multiples of 4K (segments at most 1G)");
    }
    StoreLocation location = storeOptions.location();
    StoreConfiguration config =
        storeOptions
            .configuration()
            .logBytes(storeOptions.device() != null ? 0 : logBytes)
            .segmentBytes((int) segmentBytes)
            // A batch must fit half a segment: small segments get smaller batches.
            .batchBytesMax((int) Math.min(1 << 20, segmentBytes / 2 / 4096 * 4096))
            .requestBytesMax((int) acceptedBytesMax)
            .inFlightBytesMax(Math.max(256L << 20, 2 * acceptedBytesMax))
            .checkpointIntervalBytes(checkpointIntervalBytes)
            .build();
    checkBeforeOpening(addresses, wanted);
    Store store = Store.open(config);
    NbdServer server = null;
    AdminServer admin = null;
    try {
      warnOfFixedSettings(store);
      List<VolumeSummary> existing = store.listVolumes();
      if (wanted.isEmpty() && existing.isEmpty()) {
        wanted.put(DEFAULT_VOLUME, 16L << 30);
      }
      Set<String> served = new LinkedHashSet<>(wanted.keySet());
      for (VolumeSummary volume : existing) {
        served.add(volume.name());
      }
      checkReadOnly(served);
      ensureVolumes(store, wanted);
      server =
          new NbdServer(
              new StoreExports(store, DEFAULT_VOLUME, Set.copyOf(readOnly)),
              new NbdServer.Limits(
                  (int) requestBytesMax,
                  (int) acceptedBytesMax,
                  requestsInFlightMax,
                  connectionsMax));
      List<String> uris = new ArrayList<>();
      for (ListenAddress address : addresses) {
        InetSocketAddress bound = listen(server, address.socketAddress());
        uris.add(address.uri(bound.getPort(), firstVolume(store, wanted)));
      }
      for (Path socket : sockets) {
        listen(server, socket);
        uris.add(
            "nbd+unix:///" + firstVolume(store, wanted) + "?socket=" + socket.toAbsolutePath());
      }
      // Store commands (snapshot, clone, volume, status) reach this store through here.
      NbdServer serving = server;
      admin =
          AdminServer.start(
              storeOptions.adminSocket(),
              (arguments, out, err) -> ServerCommands.execute(store, serving, arguments, out, err));
      CountDownLatch stopped = new CountDownLatch(1);
      NbdServer running = server;
      AdminServer runningAdmin = admin;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      runningAdmin.close();
                      running.drain(10_000);
                      running.close();
                      store.close();
                      System.out.println("unblend: stopped; store " + location.path() + " closed");
                    } catch (IOException | InterruptedException e) {
                      System.err.println("unblend: shutdown: " + e.getMessage());
                    } finally {
                      stopped.countDown();
                    }
                  },
                  "unblend-shutdown"));
      System.out.println(
          "unblend: serving store " + location.path() + " (" + store.engineName() + " engine)");
      System.out.println("unblend: admin socket " + admin.socket().toAbsolutePath());
      for (String uri : uris) {
        System.out.println("unblend: ready at " + uri);
      }
      System.out.flush();
      stopped.await();
      return 0;
    } catch (RuntimeException | IOException | InterruptedException e) {
      if (admin != null) {
        admin.close();
      }
      if (server != null) {
        server.close();
      }
      store.close();
      throw e;
    }
  }

  private static InetSocketAddress listen(NbdServer server, InetSocketAddress address)
      throws InterruptedException, IOException {
    try {
      return server.listenTcp(address);
    } catch (IOException e) {
      throw new IOException(ErrorMessages.of(e) + " (choose another address with --listen)", e);
    }
  }

  /**
   * The log's size and its segments' are set when a store is created. Other ones asked of an
   * existing store are ignored, with a warning rather than an error: scripts pass the same flags to
   * every start, and a store may have been created by another command with the defaults.
   */
  private void warnOfFixedSettings(Store store) throws StoreException {
    CommandLine.ParseResult given = spec.commandLine().getParseResult();
    long storeSegmentBytes = store.status().segmentBytes();
    if (given.hasMatchedOption("--log-size") && storeOptions.device() != null) {
      warnIgnored("--log-size " + logBytes, "a store on a device has the whole device");
    } else if (given.hasMatchedOption("--log-size")
        && !store.created()
        && logBytes / storeSegmentBytes * storeSegmentBytes != store.logBytes()) {
      warnIgnored(
          "--log-size " + logBytes, "the store has a log of " + store.logBytes() + " bytes");
    }
    if (given.hasMatchedOption("--segment-size")
        && !store.created()
        && segmentBytes != storeSegmentBytes) {
      warnIgnored(
          "--segment-size " + segmentBytes,
          "the store has segments of " + storeSegmentBytes + " bytes");
    }
  }

  private void warnIgnored(String flag, String why) {
    spec.commandLine()
        .getErr()
        .println(
            "unblend: "
                + flag
                + " is ignored: "
                + why
                + " ("
                + storeOptions.location().path()
                + "), set when it was created");
  }

  /**
   * Everything that can be checked before the store is opened, and the first time created: the
   * addresses to serve on and, for a new store, the --read-only names.
   */
  private void checkBeforeOpening(List<ListenAddress> addresses, Map<String, Long> wanted) {
    ListenAddress.checkBindable(addresses, spec.commandLine());
    boolean inDirectory = storeOptions.device() == null;
    Path dataDirectory = storeOptions.dataDirectory().toAbsolutePath().normalize();
    for (Path socket : sockets) {
      // A new store's data directory is made when the store is; any other must be there already.
      Path directory = socket.toAbsolutePath().normalize().getParent();
      if (!Files.isDirectory(directory) && !(inDirectory && directory.equals(dataDirectory))) {
        throw usage(
            "--socket "
                + socket
                + ": "
                + directory
                + " is no directory; create it or choose another path");
      }
      try {
        NbdServer.isStaleSocket(socket);
      } catch (IOException e) {
        throw usage(ErrorMessages.of(e) + " (choose another path with --socket)");
      }
    }
    if (inDirectory && !StoreLayout.holdsStore(dataDirectory)) {
      checkReadOnly(wanted.isEmpty() ? Set.of(DEFAULT_VOLUME) : wanted.keySet());
    }
  }

  /** Every --read-only name must be a volume that will be served: a typo must not go unnoticed. */
  private void checkReadOnly(Set<String> served) {
    for (String name : readOnly) {
      if (!served.contains(name) && !name.contains("@")) {
        throw usage(
            "--read-only "
                + name
                + ": no volume of that name is served (volumes: "
                + String.join(", ", served)
                + "); give one of those, or create it with --volume "
                + name
                + "=SIZE");
      }
    }
  }

  private static void listen(NbdServer server, Path socket)
      throws InterruptedException, IOException {
    try {
      server.listenUnix(socket);
    } catch (IOException e) {
      throw new IOException(ErrorMessages.of(e) + " (choose another path with --socket)", e);
    }
  }

  /** Every setting checked before anything is opened, each error naming its option. */
  private void checkSettings(Map<String, Long> wanted) {
    if (segmentBytes < (64 << 10) || segmentBytes % 4096 != 0 || segmentBytes > (1L << 30)) {
      throw usage("--segment-size " + segmentBytes + ": use a multiple of 4K from 64K to 1G");
    }
    if (storeOptions.device() == null && (logBytes % 4096 != 0 || logBytes < 2 * segmentBytes)) {
      throw usage(
          "--log-size "
              + logBytes
              + ": use a multiple of 4K holding at least two segments of --segment-size "
              + segmentBytes);
    }
    if (checkpointIntervalBytes < segmentBytes || checkpointIntervalBytes > (1L << 40)) {
      throw usage(
          "--checkpoint-interval "
              + checkpointIntervalBytes
              + ": use at least one segment (--segment-size "
              + segmentBytes
              + ") and at most 1T");
    }
    if (requestsInFlightMax < 1 || requestsInFlightMax > 65536) {
      throw usage("--max-in-flight " + requestsInFlightMax + ": use 1 to 65536");
    }
    if (connectionsMax < 1 || connectionsMax > 65536) {
      throw usage("--max-connections " + connectionsMax + ": use 1 to 65536");
    }
    for (Map.Entry<String, Long> volume : wanted.entrySet()) {
      if (volume.getValue() % 512 != 0) {
        throw usage(
            "--volume "
                + volume.getKey()
                + "="
                + volume.getValue()
                + ": the size must be a multiple of 512 bytes");
      }
      try {
        Store.checkName("volume", volume.getKey());
      } catch (StoreException e) {
        throw usage("--volume: " + e.getMessage());
      }
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  private Map<String, Long> parseVolumes() {
    Map<String, Long> parsed = new LinkedHashMap<>();
    for (String volume : volumes) {
      int equals = volume.indexOf('=');
      if (equals <= 0) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--volume " + volume + ": use NAME=SIZE, e.g. --volume vm1=64G");
      }
      String name = volume.substring(0, equals);
      if (parsed.containsKey(name)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--volume " + name + " is given twice: give each volume once");
      }
      try {
        parsed.put(name, Sizes.parse(volume.substring(equals + 1)));
      } catch (CommandLine.TypeConversionException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--volume " + volume + ": " + e.getMessage());
      }
    }
    return parsed;
  }

  private void ensureVolumes(Store store, Map<String, Long> wanted) throws StoreException {
    for (Map.Entry<String, Long> entry : wanted.entrySet()) {
      Volume existing = store.volume(entry.getKey());
      if (existing == null) {
        store.createVolume(entry.getKey(), entry.getValue());
      } else if (existing.sizeBytes() != entry.getValue()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--volume "
                + entry.getKey()
                + "="
                + Sizes.format(entry.getValue())
                + ": the store already has volume "
                + entry.getKey()
                + " of "
                + Sizes.format(existing.sizeBytes())
                + " ("
                + existing.sizeBytes()
                + " bytes); give that size (or leave the --volume out) to serve it as it is, or"
                + " grow it first with ./unblend volume resize "
                + entry.getKey()
                + " SIZE (volumes never shrink)");
      }
    }
  }

  private static String firstVolume(Store store, Map<String, Long> wanted) throws StoreException {
    if (!wanted.isEmpty()) {
      return wanted.keySet().iterator().next();
    }
    if (store.volume(DEFAULT_VOLUME) != null) {
      return DEFAULT_VOLUME;
    }
    return store.listVolumes().isEmpty() ? "" : store.listVolumes().get(0).name();
  }
}
