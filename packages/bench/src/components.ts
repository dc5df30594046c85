/**
 * Importing a package registers its components (side effect of its index);
 * this module makes the CLI see every encoder, quantizer, discriminator, loss,
 * dataset and metric the zoo ships.
 */
import '@zoo/quantizers';
import '@zoo/encoders-3d';
import '@zoo/discriminators';
import '@zoo/losses';
import './data/index.js';
import './metrics/index.js';
