// ONNX Runtime, the second peer of typenet's benchmark suite: times the models make_weights.py
// exported, with the same inputs, in each model's (batch, threads) configurations of
// model_zoo.MODELS (as manifest.json lists them), after checking ONNX Runtime's outputs against
// PyTorch's.
// Timings follow Google Benchmark's scheme: each repetition runs enough iterations to last
// --min-time seconds and records the mean time per call; the report takes min and median.
//
//     node bench_ort.js DATA_DIR OUTPUT.json [--repetitions=5] [--min-time=0.5]
//
// The time includes what Node and onnxruntime-node add to each session.run (tensor wrapping, the
// promise); a model with one ReLU on 16 values measures that cost, reported as call_overhead.
// Exit status 1 if any output differs from PyTorch's by more than 1e-4 of the output's scale.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');

const TOLERANCE = 1e-4;

function parseArgs(argv) {
  const positional = [];
  const options = { repetitions: 5, minTime: 0.5 };
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!m) positional.push(arg);
    else if (m[1] === 'repetitions') options.repetitions = parseInt(m[2], 10);
    else if (m[1] === 'min-time') options.minTime = parseFloat(m[2]);
    else throw new Error(`bench_ort.js: unknown option --${m[1]}`);
  }
  if (positional.length !== 2) {
    throw new Error('usage: node bench_ort.js DATA_DIR OUTPUT.json [--repetitions=N] [--min-time=SECONDS]');
  }
  return { dataDir: positional[0], output: positional[1], ...options };
}

// Raw little-endian float32, as make_weights.py writes it (this host is little-endian too). The
// copy gives the array its own 4-byte aligned buffer.
function readFloats(file) {
  const bytes = fs.readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

// Largest |a - b| over the largest |b|: the error relative to the output's scale.
function relativeError(actual, expected) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; ++i) {
    const d = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

async function createSession(file, threads) {
  return ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

// Mean seconds per call, for `repetitions` windows of at least minTime seconds each.
async function time(run, repetitions, minTime) {
  let calls = 0;
  const warmStart = process.hrtime.bigint();
  while (calls < 10 || seconds(warmStart) < 0.1) {
    await run();
    ++calls;
  }
  const perCall = seconds(warmStart) / calls;
  const iterations = Math.max(1, Math.ceil(minTime / perCall));
  const times = [];
  for (let r = 0; r < repetitions; ++r) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; ++i) await run();
    times.push(seconds(start) / iterations);
  }
  return { iterations, times_s: times };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(path.join(args.dataDir, 'manifest.json'), 'utf8'));
  ort.env.logLevel = 'warning';
  const report = {
    context: {
      date: new Date().toISOString(),
      onnxruntime_version: ort.env.versions.node,
      node_version: process.version,
      cpu: os.cpus()[0].model,
      repetitions: args.repetitions,
      min_time_s: args.minTime,
      session_options: 'cpu EP, graphOptimizationLevel all, sequential, interOpNumThreads 1',
    },
    results: [],
    errors: [],
  };

  for (const model of manifest.models) {
    const file = path.join(args.dataDir, `${model.name}.onnx`);
    const inputs = readFloats(path.join(args.dataDir, `${model.name}.input.bin`));
    const expected = readFloats(path.join(args.dataDir, `${model.name}.output.bin`));
    const inputSize = model.input_shape.reduce((a, b) => a * b, 1);
    const outputSize = model.output_shape.reduce((a, b) => a * b, 1);
    // (batch, intra-op threads), as the C++ suite runs them.
    for (const { batch, threads } of model.configurations) {
      const session = await createSession(file, threads);
      const feeds = {
        [session.inputNames[0]]: new ort.Tensor('float32', inputs.subarray(0, batch * inputSize),
          [batch, ...model.input_shape]),
      };
      const outputs = await session.run(feeds);
      const error = relativeError(outputs[session.outputNames[0]].data, expected.subarray(0, batch * outputSize));
      const name = `onnxruntime/${model.name}/batch:${batch}/threads:${threads}`;
      if (!(error <= TOLERANCE)) {
        report.errors.push(`${name}: outputs differ from PyTorch's by ${error} of their scale (limit ${TOLERANCE})`);
        console.error(`ERROR ${report.errors[report.errors.length - 1]}`);
        continue;
      }
      const timing = await time(() => session.run(feeds), args.repetitions, args.minTime);
      const sorted = [...timing.times_s].sort((a, b) => a - b);
      report.results.push({
        name, peer: 'onnxruntime', model: model.name, batch, threads, relative_error: error, ...timing,
      });
      console.log(`${name.padEnd(48)} min ${(sorted[0] * 1e6).toFixed(1)} us   ` +
                  `median ${(sorted[Math.floor(sorted.length / 2)] * 1e6).toFixed(1)} us   (error ${error.toExponential(1)})`);
      await session.release();
    }
  }

  const trivial = await createSession(path.join(args.dataDir, manifest.trivial.file), 1);
  const feeds = { [trivial.inputNames[0]]: new ort.Tensor('float32', new Float32Array(16), [1, 16]) };
  report.call_overhead = { model: 'one ReLU on 16 floats', ...(await time(() => trivial.run(feeds), args.repetitions, args.minTime)) };
  const overhead = [...report.call_overhead.times_s].sort((a, b) => a - b);
  console.log(`${'onnxruntime/call_overhead'.padEnd(48)} min ${(overhead[0] * 1e6).toFixed(1)} us`);

  fs.writeFileSync(args.output, JSON.stringify(report, null, 2) + '\n');
  if (report.errors.length > 0) {
    console.error(`bench_ort.js: ${report.errors.length} model(s) gave wrong outputs; see above`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
