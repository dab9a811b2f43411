package io.unblend.nbd.protocol;

/**
 * The NBD protocol's numbers, with the names the upstream spec gives them (NetworkBlockDevice/nbd,
 * doc/proto.md, and its extension-ext-header branch for extended headers). Only this class spells
 * them out.
 */
public final class NbdConstants {
  private NbdConstants() {}

  // Handshake ("Newstyle negotiation").
  public static final long NBDMAGIC = 0x4e42444d41474943L;
  public static final long IHAVEOPT = 0x49484156454F5054L;
  public static final long NBD_REP_MAGIC = 0x3e889045565a9L;

  public static final int NBD_FLAG_FIXED_NEWSTYLE = 1;
  public static final int NBD_FLAG_NO_ZEROES = 1 << 1;
  public static final int NBD_FLAG_C_FIXED_NEWSTYLE = 1;
  public static final int NBD_FLAG_C_NO_ZEROES = 1 << 1;

  // Options.
  public static final int NBD_OPT_EXPORT_NAME = 1;
  public static final int NBD_OPT_ABORT = 2;
  public static final int NBD_OPT_LIST = 3;
  public static final int NBD_OPT_STARTTLS = 5;
  public static final int NBD_OPT_INFO = 6;
  public static final int NBD_OPT_GO = 7;
  public static final int NBD_OPT_STRUCTURED_REPLY = 8;
  public static final int NBD_OPT_LIST_META_CONTEXT = 9;
  public static final int NBD_OPT_SET_META_CONTEXT = 10;
  public static final int NBD_OPT_EXTENDED_HEADERS = 11;

  // Option replies.
  public static final int NBD_REP_ACK = 1;
  public static final int NBD_REP_SERVER = 2;
  public static final int NBD_REP_INFO = 3;
  public static final int NBD_REP_META_CONTEXT = 4;
  public static final int NBD_REP_ERR_UNSUP = 0x80000001;
  public static final int NBD_REP_ERR_POLICY = 0x80000002;
  public static final int NBD_REP_ERR_INVALID = 0x80000003;
  public static final int NBD_REP_ERR_PLATFORM = 0x80000004;
  public static final int NBD_REP_ERR_TLS_REQD = 0x80000005;
  public static final int NBD_REP_ERR_UNKNOWN = 0x80000006;
  public static final int NBD_REP_ERR_SHUTDOWN = 0x80000007;
  public static final int NBD_REP_ERR_BLOCK_SIZE_REQD = 0x80000008;
  public static final int NBD_REP_ERR_TOO_BIG = 0x80000009;
  public static final int NBD_REP_ERR_EXT_HEADER_REQD = 0x8000000a;

  // Information types of NBD_REP_INFO.
  public static final int NBD_INFO_EXPORT = 0;
  public static final int NBD_INFO_NAME = 1;
  public static final int NBD_INFO_DESCRIPTION = 2;
  public static final int NBD_INFO_BLOCK_SIZE = 3;

  // Transmission flags.
  public static final int NBD_FLAG_HAS_FLAGS = 1;
  public static final int NBD_FLAG_READ_ONLY = 1 << 1;
  public static final int NBD_FLAG_SEND_FLUSH = 1 << 2;
  public static final int NBD_FLAG_SEND_FUA = 1 << 3;
  public static final int NBD_FLAG_ROTATIONAL = 1 << 4;
  public static final int NBD_FLAG_SEND_TRIM = 1 << 5;
  public static final int NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
  public static final int NBD_FLAG_SEND_DF = 1 << 7;
  public static final int NBD_FLAG_CAN_MULTI_CONN = 1 << 8;
  public static final int NBD_FLAG_SEND_CACHE = 1 << 10;
  public static final int NBD_FLAG_SEND_FAST_ZERO = 1 << 11;

  // Requests.
  public static final int NBD_REQUEST_MAGIC = 0x25609513;
  public static final int NBD_EXTENDED_REQUEST_MAGIC = 0x21e41c71;
  public static final int NBD_CMD_READ = 0;
  public static final int NBD_CMD_WRITE = 1;
  public static final int NBD_CMD_DISC = 2;
  public static final int NBD_CMD_FLUSH = 3;
  public static final int NBD_CMD_TRIM = 4;
  public static final int NBD_CMD_CACHE = 5;
  public static final int NBD_CMD_WRITE_ZEROES = 6;
  public static final int NBD_CMD_BLOCK_STATUS = 7;

  public static final int NBD_CMD_FLAG_FUA = 1;
  public static final int NBD_CMD_FLAG_NO_HOLE = 1 << 1;
  public static final int NBD_CMD_FLAG_DF = 1 << 2;
  public static final int NBD_CMD_FLAG_REQ_ONE = 1 << 3;
  public static final int NBD_CMD_FLAG_FAST_ZERO = 1 << 4;
  public static final int NBD_CMD_FLAG_PAYLOAD_LEN = 1 << 5;

  // Replies.
  public static final int NBD_SIMPLE_REPLY_MAGIC = 0x67446698;
  public static final int NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;
  public static final int NBD_EXTENDED_REPLY_MAGIC = 0x6e8a278c;
  public static final int NBD_REPLY_FLAG_DONE = 1;
  public static final int NBD_REPLY_TYPE_NONE = 0;
  public static final int NBD_REPLY_TYPE_OFFSET_DATA = 1;
  public static final int NBD_REPLY_TYPE_OFFSET_HOLE = 2;
  public static final int NBD_REPLY_TYPE_BLOCK_STATUS = 5;
  public static final int NBD_REPLY_TYPE_BLOCK_STATUS_EXT = 6;
  public static final int NBD_REPLY_TYPE_ERROR = (1 << 15) + 1;

  // base:allocation.
  public static final String BASE_ALLOCATION = "base:allocation";
  public static final int NBD_STATE_HOLE = 1;
  public static final int NBD_STATE_ZERO = 2;

  // unblend: metadata contexts (docs/changed-blocks.md), with qemu:dirty-bitmap: semantics.
  public static final String UNBLEND_CHANGED_PREFIX = "unblend:changed:";
  public static final int UNBLEND_STATE_CHANGED = 1;

  // Errors.
  public static final int NBD_EPERM = 1;
  public static final int NBD_EIO = 5;
  public static final int NBD_ENOMEM = 12;
  public static final int NBD_EINVAL = 22;
  public static final int NBD_ENOSPC = 28;
  public static final int NBD_EOVERFLOW = 75;
  public static final int NBD_ENOTSUP = 95;
  public static final int NBD_ESHUTDOWN = 108;
}
