<?php
// Fails as a request handler would, and prints the exception's text as opentelemetry-php records
// it: StackTraceFormatter::format (src/SDK/Common/Exception/StackTraceFormatter.php), ported
// below as it is there (Java-like: the thrown exception, then each getPrevious() as "Caused by:").

declare(strict_types=1);

namespace Shop;

final class StackTraceFormatter
{
    public static function format(\Throwable $e): string
    {
        $s = '';
        $seen = [];
        $enclosing = null;
        do {
            if ($enclosing) {
                self::writeNewline($s);
                $s .= 'Caused by: ';
            }
            if (isset($seen[spl_object_id($e)])) {
                $s .= '[CIRCULAR REFERENCE: ';
                self::writeInlineHeader($s, $e);
                $s .= ']';
                break;
            }
            $seen[spl_object_id($e)] = $e;
            $frames = self::frames($e);
            self::writeInlineHeader($s, $e);
            self::writeFrames($s, $frames, $enclosing);
            $enclosing = $frames;
        } while ($e = $e->getPrevious());

        return $s;
    }

    private static function writeFrames(string &$s, array $frames, ?array $enclosing): void
    {
        $n = count($frames);
        if ($enclosing) {
            for ($m = count($enclosing); $n && $m && $frames[$n - 1] === $enclosing[$m - 1]; $n--, $m--) {
            }
        }
        for ($i = 0; $i < $n; $i++) {
            $frame = $frames[$i];
            self::writeNewline($s, 1);
            $s .= 'at ';
            if ($frame['class'] !== null) {
                $s .= self::formatName($frame['class']);
                $s .= '.';
            }
            $s .= self::formatName($frame['function']);
            $s .= '(';
            if ($frame['file'] !== null) {
                $s .= basename($frame['file']);
                if ($frame['line']) {
                    $s .= ':';
                    $s .= $frame['line'];
                }
            } else {
                $s .= 'Unknown Source';
            }
            $s .= ')';
        }
        if ($n !== count($frames)) {
            self::writeNewline($s, 1);
            $s .= sprintf('... %d more', count($frames) - $n);
        }
    }

    private static function writeInlineHeader(string &$s, \Throwable $e): void
    {
        $s .= self::formatName($e::class);
        if ($e->getMessage() !== '') {
            $s .= ': ';
            $s .= $e->getMessage();
        }
    }

    private static function writeNewline(string &$s, int $indent = 0): void
    {
        $s .= "\n";
        $s .= str_repeat("\t", $indent);
    }

    private static function frames(\Throwable $e): array
    {
        $frames = [];
        $trace = $e->getTrace();
        $traceCount = count($trace);
        for ($i = 0; $i < $traceCount + 1; $i++) {
            $frames[] = [
                'function' => $trace[$i]['function'] ?? '{main}',
                'class' => $trace[$i]['class'] ?? null,
                'file' => $trace[$i - 1]['file'] ?? null,
                'line' => $trace[$i - 1]['line'] ?? null,
            ];
        }
        $frames[0]['file'] = $e->getFile();
        $frames[0]['line'] = $e->getLine();

        return $frames;
    }

    private static function formatName(string $name): string
    {
        return strtr($name, ['\\' => '.']);
    }
}

final class Orders
{
    private const PRICES = ['WINTER' => 10];

    public function priceOf(string $item): int
    {
        if (!isset(self::PRICES[$item])) {
            throw new \OutOfBoundsException("no price for $item"); // raises: OutOfBoundsException
        }
        return self::PRICES[$item];
    }

    public function total(array $items): int
    {
        try {
            return array_sum(array_map(fn (string $item): int => $this->priceOf($item), $items));
        } catch (\OutOfBoundsException $e) {
            throw new \RuntimeException('cannot total order 7', 0, $e); // raises: RuntimeException
        }
    }
}

try {
    (new Orders())->total(['WINTER', 'SPRING']);
} catch (\Throwable $e) {
    echo StackTraceFormatter::format($e);
}
