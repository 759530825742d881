# Fails as a request handler would, and prints the exception's text as opentelemetry-ruby's
# Span#record_exception records it: full_message(highlight: false, order: :top), causes included.
require 'erb'

PRICES = { 'WINTER' => 10 }.freeze

def price_of(item)
  PRICES.fetch(item) # raises: KeyError
end

def quote(item)
  # The standard library's ERB calls back into price_of: its frames are Ruby's own.
  ERB.new('<%= price_of(item) %>').result(binding)
rescue KeyError
  raise "cannot quote #{item}\nsee the price list" # raises: RuntimeError
end

begin
  quote('SPRING')
rescue => e
  print e.full_message(highlight: false, order: :top)
end
