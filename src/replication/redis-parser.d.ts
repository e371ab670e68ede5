/**
 * Types for redis-parser 3.0.0 (it ships none): the parser of Redis replies that the replica's
 * link to its primary reads with. Only what vsetd uses is declared.
 */
declare module 'redis-parser' {
  interface RedisParserOptions {
    /** Every complete reply, in order; with returnBuffers, bulk strings arrive as Buffers. */
    returnReply(reply: unknown): void;
    /** An error reply (-ERR …). */
    returnError(error: Error): void;
    /** Bytes that are not RESP: the parser resets itself after calling this. */
    returnFatalError?(error: Error): void;
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }

  class RedisParser {
    constructor(options: RedisParserOptions);
    execute(data: Buffer): void;
    reset(): void;
  }

  export = RedisParser;
}
