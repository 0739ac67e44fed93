import { createFp32Codec } from './fp32.ts';
import { runCodecConformance } from './conformance.ts';

runCodecConformance(createFp32Codec(), { maxRelError: 0 });
