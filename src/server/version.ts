/** The Redis version vsetd answers as (INFO redis_version, HELLO), and its own. */
export const VERSION = '8.2.0';
export const VSETD_VERSION = '0.1.0';
