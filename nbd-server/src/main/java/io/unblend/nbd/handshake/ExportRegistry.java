package io.unblend.nbd.handshake;

import java.util.List;

/** The exports a client may choose from; looked up at every option, so new volumes show up. */
public interface ExportRegistry {
  /** The export of that name ("" is the default export), or null. */
  Export find(String name);

  List<Export> list();
}
